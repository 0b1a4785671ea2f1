package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CUDA planning on a machine without a GPU: fake nvcc and nvidia-smi scripts, the real discovery and planning. */
class BuildPlanTest {
    static final String COMMIT = "de3ff815ea7d559ee917f063901b8986f038abc6";

    @TempDir
    Path tmp;

    private CudaToolkit.Probe probe(FakeCuda fake, Map<String, String> env) {
        return new CudaToolkit(env, tmp.resolve("usr-local"), cmd -> ChildProcess.run(cmd, null, Duration.ofSeconds(20))).probe();
    }

    private BuildPlan plan(BuildOptions opts, CudaToolkit.Probe probe) {
        return BuildPlan.of(opts, tmp.resolve("src"), COMMIT, tmp.resolve("builds"),
                new BuildPlan.Machine("cmake", true, 8, probe));
    }

    private static String arg(BuildPlan plan, String name) {
        return plan.configure().stream().filter(a -> a.startsWith("-D" + name + "=")).findFirst()
                .map(a -> a.substring(a.indexOf('=') + 1)).orElse(null);
    }

    @Test
    void anA10WithTheToolkitOnPathGivesArch86AndTheCompilerPath() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA A10, 8.6");
        Path nvcc = FakeCuda.nvcc(tmp.resolve("fake"), "12.4");
        BuildPlan plan = plan(BuildOptions.defaults(), probe(fake, fake.env()));
        assertEquals("cuda", plan.backend());
        assertEquals("ON", arg(plan, "GGML_CUDA"));
        assertNull(arg(plan, "GGMML_CUDA"));
        assertEquals(nvcc.toString(), arg(plan, "CMAKE_CUDA_COMPILER"));
        assertEquals("86", arg(plan, "CMAKE_CUDA_ARCHITECTURES"));
        assertEquals("OFF", arg(plan, "GGML_NATIVE"));
        assertEquals("OFF", arg(plan, "LLAMA_USE_PREBUILT_UI"));
        assertTrue(plan.key().startsWith("de3ff815ea-cuda-sm86-"), plan.key());
        assertEquals(List.of("-G", "Ninja"), plan.configure().subList(5, 7));
        assertEquals(List.of("cmake", "--build", plan.buildDir().toString(), "--config", "Release", "-j", "8", "--target",
                "llama-server", "llama-cli", "llama-quantize", "llama-bench"), plan.build());
        assertTrue(plan.notes().isEmpty(), plan.notes().toString());
    }

    @Test
    void aT4Gives75() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.2", "Tesla T4, 7.5");
        FakeCuda.nvcc(tmp.resolve("cuda-home"), "12.1");
        BuildPlan plan = plan(BuildOptions.defaults().cuda(), probe(fake, fake.env("CUDA_HOME", tmp.resolve("cuda-home").toString())));
        assertEquals("75", arg(plan, "CMAKE_CUDA_ARCHITECTURES"));
        assertEquals(tmp.resolve("cuda-home/bin/nvcc").toString(), arg(plan, "CMAKE_CUDA_COMPILER"));
        assertEquals(tmp.resolve("cuda-home").toString(), arg(plan, "CUDAToolkit_ROOT"));
    }

    @Test
    void twoDifferentGpusGiveBothArchsOnce() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA A10, 8.6", "Tesla T4, 7.5", "NVIDIA A10, 8.6");
        FakeCuda.nvcc(tmp.resolve("fake"), "12.4");
        BuildPlan plan = plan(BuildOptions.defaults(), probe(fake, fake.env()));
        assertEquals("75;86", arg(plan, "CMAKE_CUDA_ARCHITECTURES"));
        assertTrue(plan.key().contains("-sm75_86-"), plan.key());
    }

    @Test
    void newestUsrLocalCudaTheDriverSupportsIsChosen() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA A10, 8.6");
        Path local = tmp.resolve("usr-local");
        FakeCuda.nvcc(local.resolve("cuda-11.8"), "11.8");
        Path want = FakeCuda.nvcc(local.resolve("cuda-12.4"), "12.4");
        FakeCuda.nvcc(local.resolve("cuda-12.10"), "12.10");
        CudaToolkit.Probe probe = probe(fake, fake.env());
        assertEquals(want, probe.nvcc().path());
        assertEquals(want.toString(), arg(plan(BuildOptions.defaults(), probe), "CMAKE_CUDA_COMPILER"));
    }

    @Test
    void usrLocalCudaComesBeforeTheVersionedDirs() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA A10, 8.6");
        Path local = tmp.resolve("usr-local");
        Path want = FakeCuda.nvcc(local.resolve("cuda"), "12.2");
        FakeCuda.nvcc(local.resolve("cuda-12.4"), "12.4");
        assertEquals(want, probe(fake, fake.env()).nvcc().path());
    }

    @Test
    void cudaWithoutToolkitFailsInOneLineNamingWhatIsMissing() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA A10, 8.6");
        Wording.Error e = assertThrows(Wording.Error.class, () -> plan(BuildOptions.defaults().cuda(), probe(fake, fake.env())));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("a CUDA build needs the CUDA toolkit, but no nvcc was found"), e.getMessage());
        assertTrue(e.getMessage().contains("nvcc on PATH") && e.getMessage().contains("CUDA_HOME"), e.getMessage());
        assertTrue(e.getMessage().endsWith("install the toolkit or set CUDA_HOME, or build for the CPU"), e.getMessage());
        // a caller names the options its own way
        String flags = e.in(Map.of("cuda", "--cuda", "orCpu", ", or build with --cpu"));
        assertTrue(flags.startsWith("--cuda needs the CUDA toolkit") && flags.endsWith("set CUDA_HOME, or build with --cpu"), flags);
    }

    @Test
    void cudaWithToolkitButNoGpuFailsInOneLine() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smiWithoutDriver();
        FakeCuda.nvcc(tmp.resolve("fake"), "12.4");
        UserError e = assertThrows(UserError.class, () -> plan(BuildOptions.defaults().cuda(), probe(fake, fake.env())));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains("no NVIDIA GPU") && e.getMessage().contains("couldn't communicate with the NVIDIA driver"),
                e.getMessage());
        FakeCuda noSmi = new FakeCuda(tmp.resolve("fake2"));
        FakeCuda.nvcc(tmp.resolve("fake2"), "12.4");
        UserError e2 = assertThrows(UserError.class, () -> plan(BuildOptions.defaults().cuda(), probe(noSmi, noSmi.env())));
        assertTrue(e2.getMessage().contains("nvidia-smi is not on PATH"), e2.getMessage());
    }

    @Test
    void autoFallsBackToCpuWithANote() throws Exception {
        FakeCuda noGpu = new FakeCuda(tmp.resolve("fake"));
        BuildPlan plan = plan(BuildOptions.defaults(), probe(noGpu, noGpu.env()));
        assertEquals("cpu", plan.backend());
        assertNull(arg(plan, "GGML_CUDA"));
        assertEquals(List.of("no NVIDIA GPU (nvidia-smi is not on PATH): building for CPU"), plan.notes());
        FakeCuda gpuNoToolkit = new FakeCuda(tmp.resolve("fake2")).smi("12.4", "NVIDIA A10, 8.6");
        BuildPlan p2 = plan(BuildOptions.defaults(), probe(gpuNoToolkit, gpuNoToolkit.env()));
        assertEquals("cpu", p2.backend());
        assertTrue(p2.notes().get(0).startsWith("NVIDIA GPU found (NVIDIA A10) but no CUDA toolkit"), p2.notes().toString());
    }

    @Test
    void aHungNvidiaSmiIsAFailedProbeAndAutoFallsBackToCpu() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA A10, 8.6");
        CudaToolkit.Probe probe = new CudaToolkit(fake.env(), tmp.resolve("usr-local"), cmd -> {
            throw new UserError("nvidia-smi did not answer within 30 s");
        }).probe();
        assertFalse(probe.hasGpu());
        assertEquals("nvidia-smi failed: nvidia-smi did not answer within 30 s", probe.gpuProblem());
        assertEquals("cpu", plan(BuildOptions.defaults(), probe).backend());
        CudaToolkit interrupted = new CudaToolkit(fake.env(), tmp.resolve("usr-local"), cmd -> {
            throw new dev.llamagic.core.Interrupted("nvidia-smi");
        });
        assertThrows(dev.llamagic.core.Interrupted.class, interrupted::probe, "an interrupt is not a failed probe");
    }

    @Test
    void minimumCudaByArchitecture() {
        assertEquals("12.8", CudaToolkit.minimumCudaFor("120").orElseThrow());
        assertEquals("12.8", CudaToolkit.minimumCudaFor("100a").orElseThrow());
        assertEquals("11.8", CudaToolkit.minimumCudaFor("90").orElseThrow());
        assertEquals("11.1", CudaToolkit.minimumCudaFor("86").orElseThrow());
        assertEquals("11.0", CudaToolkit.minimumCudaFor("80").orElseThrow());
        assertTrue(CudaToolkit.minimumCudaFor("75").isEmpty());
    }

    @Test
    void anOldToolkitForANewGpuFailsClearly() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA H100 80GB HBM3, 9.0");
        FakeCuda.nvcc(tmp.resolve("fake"), "11.7");
        UserError e = assertThrows(UserError.class, () -> plan(BuildOptions.defaults().cuda(), probe(fake, fake.env())));
        assertTrue(e.getMessage().contains("cannot compile for compute capability 9.0, which needs CUDA 11.8"), e.getMessage());
    }

    @Test
    void cudaArchOverrideAndOldDriversWithoutComputeCap() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA A10, 8.6");
        FakeCuda.nvcc(tmp.resolve("fake"), "12.4");
        BuildPlan plan = plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("8.9", "86")), probe(fake, fake.env()));
        assertEquals("89;86", arg(plan, "CMAKE_CUDA_ARCHITECTURES"));
        assertThrows(UserError.class, () -> plan(BuildOptions.defaults().cuda().withCudaArchs(List.of("fermi")), probe(fake, fake.env())));
        assertEquals(List.of(new CudaToolkit.Gpu("Tesla V100-SXM2-16GB", "7.0")), CudaToolkit.parseGpus("Tesla V100-SXM2-16GB, [N/A]\n"));
        assertEquals("8.0", CudaToolkit.knownCapability("NVIDIA A100-SXM4-80GB"));
        assertEquals("8.6", CudaToolkit.knownCapability("NVIDIA A10G"));
        assertEquals("", CudaToolkit.knownCapability("Some Future GPU"));
    }

    @Test
    void cpuDefaultsAndTheKey() {
        CudaToolkit.Probe none = new CudaToolkit.Probe(null, List.of(), null, "not looked for", List.of(), List.of());
        BuildPlan cpu = plan(BuildOptions.defaults().cpu(), none);
        assertEquals("cpu", cpu.backend());
        assertEquals(List.of("cmake", "-S", tmp.resolve("src").toString(), "-B", cpu.buildDir().toString(), "-G", "Ninja",
                "-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
                "-DLLAMA_USE_PREBUILT_UI=OFF"), cpu.configure());
        assertEquals(tmp.resolve("builds").resolve(cpu.key()), cpu.buildDir());
        assertTrue(cpu.key().matches("de3ff815ea-cpu-[0-9a-f]{8}"), cpu.key());
        // the same inputs: the same key; a changed option: another key; more targets: the same key
        assertEquals(cpu.key(), plan(BuildOptions.defaults().cpu(), none).key());
        assertEquals(cpu.key(), plan(BuildOptions.defaults().cpu().withTarget("llama-gguf-split"), none).key());
        assertNotEquals(cpu.key(), plan(BuildOptions.defaults().cpu().withNativeCpu(true), none).key());
        BuildPlan d = plan(BuildOptions.defaults().cpu().withDefine("GGML_CCACHE", "OFF"), none);
        assertNotEquals(cpu.key(), d.key());
        assertEquals("-DGGML_CCACHE=OFF", d.configure().get(d.configure().size() - 1));
        assertEquals("ON", arg(plan(BuildOptions.defaults().cpu().withNativeCpu(true), none), "GGML_NATIVE"));
        BuildPlan more = plan(BuildOptions.defaults().cpu().withTarget("llama-gguf-split").withJobs(3), none);
        assertEquals(List.of("-j", "3", "--target", "llama-server", "llama-cli", "llama-quantize", "llama-bench", "llama-gguf-split"),
                more.build().subList(5, more.build().size()));
        BuildPlan make = BuildPlan.of(BuildOptions.defaults().cpu(), tmp.resolve("src"), COMMIT, tmp.resolve("builds"),
                new BuildPlan.Machine("cmake", false, 2, none));
        assertEquals("Unix Makefiles", make.generator());
        assertEquals(cpu.key(), make.key());
    }

    @Test
    void parsingHelpers() throws Exception {
        assertEquals(List.of("CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)"),
                LlamaBuilder.parseDevices("load_backend: loaded CUDA backend\nAvailable devices:\n  CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)\n"));
        assertEquals(List.of(), LlamaBuilder.parseDevices("Available devices:\n  (none)\n"));
        assertEquals(1, dev.llamagic.util.Similar.editDistance("GGMML_CUDA", "GGML_CUDA"));
        Path cache = tmp.resolve("CMakeCache.txt");
        Files.writeString(cache, "// comment\nGGML_CUDA:BOOL=OFF\nGGML_CPU:BOOL=ON\nGGMML_CUDA:UNINITIALIZED=ON\n");
        assertEquals("GGML_CUDA", LlamaBuilder.closestCacheVariable("GGMML_CUDA", cache));
        assertTrue(CudaToolkit.compareVersions("12.10", "12.9") > 0);
    }
}
