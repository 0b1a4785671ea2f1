package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.UserError;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Planning a CUDA build on a machine without a GPU: cross-builds, host compilers, ccache. */
class CrossBuildPlanTest {
    static final String COMMIT = "de3ff815ea7d559ee917f063901b8986f038abc6";

    @TempDir
    Path tmp;

    private CudaToolkit.Probe probe(Map<String, String> env) {
        return new CudaToolkit(env, tmp.resolve("usr-local"), cmd -> ChildProcess.run(cmd, null, Duration.ofSeconds(20))).probe();
    }

    private BuildPlan plan(BuildOptions opts, CudaToolkit.Probe probe, String ccache) {
        return BuildPlan.of(opts, tmp.resolve("home/llama.cpp/src/llama.cpp-x"), COMMIT, tmp.resolve("home/llama.cpp/builds"),
                new BuildPlan.Machine("cmake", true, 2, probe, ccache, tmp.resolve("home/ccache"), tmp.resolve("home/cuda-toolkits")));
    }

    private static String arg(BuildPlan plan, String name) {
        return plan.configure().stream().filter(a -> a.startsWith("-D" + name + "=")).findFirst()
                .map(a -> a.substring(a.indexOf('=') + 1)).orElse(null);
    }

    @Test
    void namedArchitectureWithoutAGpuCrossBuildsAndSaysWithWhat() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake"));
        FakeCuda.nvcc(tmp.resolve("fake"), "11.8");
        FakeCuda.gxx(fake.bin.resolve("g++-11"), "11.3.0");
        BuildPlan plan = plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("a10")), probe(fake.env()), "/usr/bin/ccache");
        assertEquals("cuda", plan.backend());
        assertTrue(plan.crossBuild());
        assertFalse(plan.machineHasGpu());
        assertEquals("86", arg(plan, "CMAKE_CUDA_ARCHITECTURES"));
        assertEquals(fake.bin.resolve("g++-11").toString(), arg(plan, "CMAKE_CUDA_HOST_COMPILER"));
        assertTrue(plan.key().startsWith("de3ff815ea-cuda-sm86-"), plan.key());
        assertEquals(List.of("no NVIDIA GPU here (nvidia-smi is not on PATH): cross-building for CUDA sm_86 with nvcc 11.8"
                + " and g++ 11 (" + fake.bin.resolve("g++-11") + "); the device check waits for the first build or server start on a GPU"),
                plan.notes());
        // ccache for every compiler, its cache under LLAMAGIC_HOME, paths relative to what source and build share
        assertEquals("/usr/bin/ccache", arg(plan, "CMAKE_C_COMPILER_LAUNCHER"));
        assertEquals("/usr/bin/ccache", arg(plan, "CMAKE_CXX_COMPILER_LAUNCHER"));
        assertEquals("/usr/bin/ccache", arg(plan, "CMAKE_CUDA_COMPILER_LAUNCHER"));
        assertEquals(Map.of("CCACHE_DIR", tmp.resolve("home/ccache").toString(), "CCACHE_BASEDIR", tmp.resolve("home/llama.cpp").toString()),
                plan.env());
        // the host compiler is part of the key; ccache is not (it does not change the binaries)
        assertEquals(plan.key(), plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("86")), probe(fake.env()), null).key());
        assertNull(arg(plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("86")), probe(fake.env()), null), "CMAKE_C_COMPILER_LAUNCHER"));
        Path gcc = FakeCuda.gxx(tmp.resolve("opt/gcc/bin/g++"), "10.5.0");
        BuildPlan otherHost = plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("86"))
                .withDefine("CMAKE_CUDA_HOST_COMPILER", gcc.toString()), probe(fake.env()), null);
        assertEquals(List.of("-DCMAKE_CUDA_HOST_COMPILER=" + gcc),
                otherHost.configure().stream().filter(a -> a.startsWith("-DCMAKE_CUDA_HOST_COMPILER=")).toList(), "given once, as asked");
        assertNotEquals(plan.key(), otherHost.key());
        UserError missing = assertThrows(UserError.class, () -> plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("86"))
                .withDefine("CMAKE_CUDA_HOST_COMPILER", "/nowhere/g++-11"), probe(fake.env()), null));
        assertEquals("the CUDA host compiler /nowhere/g++-11 (CMAKE_CUDA_HOST_COMPILER) does not exist: name an installed g++"
                + " (CUDA 11.8 takes g++ 11 or older)", missing.getMessage());
    }

    @Test
    void withoutArchitectureAndWithoutGpuCudaStillFailsInOneLine() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake"));
        FakeCuda.nvcc(tmp.resolve("fake"), "12.4");
        Wording.Error e = assertThrows(Wording.Error.class, () -> plan(BuildOptions.defaults().cuda(), probe(fake.env()), null));
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(e.getMessage().endsWith("but no NVIDIA GPU (nvidia-smi is not on PATH): run it on a GPU instance, name the"
                + " GPU's CUDA architecture to cross-build for it, or build for the CPU"), e.getMessage());
        assertTrue(e.in(Map.of("cuda", "--cuda", "orCpu", ", or build with --cpu",
                "crossArch", ", cross-build for it with --cuda-arch (86 for an A10, 75 for a T4)")).endsWith(
                "run it on a GPU instance, cross-build for it with --cuda-arch (86 for an A10, 75 for a T4), or build with --cpu"));
        // auto without a GPU still builds for the CPU, architecture or not
        assertEquals("cpu", plan(BuildOptions.defaults().withCudaArchs(List.of("86")), probe(fake.env()), null).backend());
    }

    @Test
    void aMissingHostCompilerFailsWhilePlanningBeforeAnythingCompiles() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")); // its g++ is 12
        FakeCuda.nvcc(tmp.resolve("fake"), "11.8");
        UserError e = assertThrows(UserError.class,
                () -> plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("86")), probe(fake.env()), null));
        assertEquals("CUDA 11.8 (" + fake.bin.resolve("nvcc") + ") accepts g++ 11 or older as its host compiler, but only g++ 12 ("
                + fake.bin.resolve("g++") + ") is here: apt-get install -y g++-11", e.getMessage());
    }

    @Test
    void cuda13CannotBuildForVoltaAndSaysWhy() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake"));
        FakeCuda.nvcc(tmp.resolve("fake"), "13.0");
        UserError e = assertThrows(UserError.class,
                () -> plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("v100")), probe(fake.env()), null));
        assertTrue(e.getMessage().contains("cannot compile for compute capability 7.0 (CUDA 13 dropped the GPUs before 7.5)"), e.getMessage());
        assertEquals("75", arg(plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("t4")), probe(fake.env()), null),
                "CMAKE_CUDA_ARCHITECTURES"));
    }

    @Test
    void aWheelToolkitIsUsedThroughARootAssembledUnderTheHome() throws Exception {
        Path cu13 = tmp.resolve("venv/lib/python3.11/site-packages/nvidia/cu13");
        FakeCuda.nvcc(cu13, "13.0");
        FakeCuda fake = new FakeCuda(tmp.resolve("fake"));
        BuildPlan plan = plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("86")),
                probe(fake.env("VIRTUAL_ENV", tmp.resolve("venv").toString())), null);
        Path root = plan.toolkitRoot();
        assertTrue(root.startsWith(tmp.resolve("home/cuda-toolkits")) && root.getFileName().toString().startsWith("cuda-13.0-"), root.toString());
        assertEquals(root.resolve("bin/nvcc").toString(), arg(plan, "CMAKE_CUDA_COMPILER"));
        assertEquals(root.toString(), arg(plan, "CUDAToolkit_ROOT"));
        assertEquals(fake.bin.resolve("g++").toString(), arg(plan, "CMAKE_CUDA_HOST_COMPILER"));
    }
}
