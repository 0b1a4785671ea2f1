package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where toolkits are found (pip's wheel trees, Debian's /usr/bin/nvcc) and which host compiler goes with them: the
 * layouts as directory trees of fake programs, the real discovery code.
 */
class CudaDiscoveryTest {
    @TempDir
    Path tmp;

    private CudaToolkit.Probe probe(Map<String, String> env) {
        return new CudaToolkit(env, tmp.resolve("usr-local"), cmd -> ChildProcess.run(cmd, null, Duration.ofSeconds(20))).probe();
    }

    /** A venv with pip's CUDA 13 wheels: one merged tree nvidia/cu13 with bin, include, lib (versioned .so only), nvvm. */
    private Path cu13Venv(Path venv) throws Exception {
        Path cu13 = venv.resolve("lib/python3.11/site-packages/nvidia/cu13");
        FakeCuda.nvcc(cu13, "13.0");
        Files.writeString(cu13.resolve("bin/nvcc.profile"), "TOP = $(_HERE_)/..\n");
        Files.createDirectories(cu13.resolve("include/crt"));
        Files.writeString(cu13.resolve("include/cuda_runtime.h"), "// header\n");
        Files.createDirectories(cu13.resolve("lib"));
        Files.writeString(cu13.resolve("lib/libcudart.so.13"), "elf");
        Files.writeString(cu13.resolve("lib/libcublas.so.13"), "elf");
        Files.writeString(cu13.resolve("lib/libcudart_static.a"), "ar");
        Files.createDirectories(cu13.resolve("nvvm/bin"));
        Files.writeString(cu13.resolve("__init__.py"), "");
        Files.createDirectories(venv.resolve("bin"));
        return cu13;
    }

    private Map<String, String> env(String path, String... extra) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", path);
        for (int i = 0; i + 1 < extra.length; i += 2) env.put(extra[i], extra[i + 1]);
        return env;
    }

    @Test
    void pipsCuda13WheelsAreFoundThroughTheVenvOnPath() throws Exception {
        Path venv = tmp.resolve("venv");
        Path cu13 = cu13Venv(venv);
        FakeCuda.gxx(venv.resolve("bin/g++"), "12.2.0");
        CudaToolkit.Probe p = probe(env(venv.resolve("bin").toString()));
        assertEquals(cu13.resolve("bin/nvcc"), p.nvcc().path());
        assertEquals("13.0", p.nvcc().version());
        assertTrue(p.nvcc().foundVia().startsWith("pip wheel "), p.nvcc().foundVia());
        assertTrue(CudaWheels.isWheel(p.nvcc()));
        assertTrue(p.searched().contains("the nvidia/*/bin/nvcc of pip's CUDA wheels"), p.searched().toString());
        // the same through VIRTUAL_ENV alone
        assertEquals(cu13.resolve("bin/nvcc"), probe(env(tmp.resolve("empty").toString(), "VIRTUAL_ENV", venv.toString())).nvcc().path());
    }

    @Test
    void aToolkitRootForCMakeIsAssembledWithUnversionedLibraries() throws Exception {
        Path cu13 = cu13Venv(tmp.resolve("venv"));
        CudaToolkit.Nvcc nvcc = new CudaToolkit.Nvcc(cu13.resolve("bin/nvcc"), "13.0", "pip wheel");
        Path root = CudaWheels.assemble(nvcc, tmp.resolve("home/cuda-toolkits/cuda-13.0-x"));
        assertEquals(cu13.resolve("bin/nvcc"), root.resolve("bin/nvcc").toRealPath());
        assertEquals(cu13.resolve("include/cuda_runtime.h"), root.resolve("include/cuda_runtime.h").toRealPath());
        assertEquals(cu13.resolve("lib/libcudart.so.13"), root.resolve("lib/libcudart.so").toRealPath());
        assertEquals(cu13.resolve("lib/libcublas.so.13"), root.resolve("lib64/libcublas.so").toRealPath());
        assertFalse(Files.exists(root.resolve("lib/libcudart_static.a.so")));
        assertFalse(Files.exists(root.resolve("__init__.py")) || Files.exists(root.resolve("include/__init__.py")));
        // assembling again (a later build) replaces it
        assertEquals(root, CudaWheels.assemble(nvcc, root));
        assertTrue(Files.exists(root.resolve("lib/libcudart.so")));
    }

    @Test
    void pips12xNvccWheelHasNoNvccAndTheNoteSaysSo() throws Exception {
        Path venv = tmp.resolve("venv12");
        Path nvidia = venv.resolve("lib/python3.11/site-packages/nvidia");
        Files.createDirectories(nvidia.resolve("cuda_nvcc/bin"));
        Files.writeString(nvidia.resolve("cuda_nvcc/bin/ptxas"), "elf");
        Files.createDirectories(nvidia.resolve("cuda_runtime/lib"));
        Files.createDirectories(venv.resolve("bin"));
        CudaToolkit.Probe p = probe(env(venv.resolve("bin").toString()));
        assertNull(p.nvcc());
        assertEquals(1, p.notes().size(), p.notes().toString());
        assertTrue(p.notes().get(0).endsWith("nvidia/cuda_nvcc holds pip's nvidia-cuda-nvcc-cu12, which ships ptxas but no nvcc"
                + " (pip install nvidia-cuda-nvcc for CUDA 13 brings nvcc)"), p.notes().get(0));
        // and a --cuda build says it in its one line
        Wording.Error e = assertThrows(Wording.Error.class, () -> BuildPlan.of(BuildOptions.defaults().cuda(), tmp, "c",
                tmp.resolve("builds"), new BuildPlan.Machine("cmake", true, 2, p)));
        assertTrue(e.getMessage().contains("ships ptxas but no nvcc"), e.getMessage());
    }

    @Test
    void debiansToolkitIsUsrBinNvccAndItsRootIsUsr() throws Exception {
        // Debian's nvidia-cuda-toolkit: /usr/bin/nvcc is a script running /usr/lib/nvidia-cuda-toolkit/bin/nvcc
        Path usr = tmp.resolve("usr");
        Path real = FakeCuda.nvcc(usr.resolve("lib/nvidia-cuda-toolkit"), "11.8");
        Files.createDirectories(usr.resolve("bin"));
        Path wrapper = usr.resolve("bin/nvcc");
        Files.writeString(wrapper, "#!/bin/sh\n\nexec " + real + " \"$@\"\n");
        wrapper.toFile().setExecutable(true);
        FakeCuda.gxx(usr.resolve("bin/g++"), "12.2.0");
        FakeCuda.gxx(usr.resolve("bin/g++-11"), "11.3.0");
        CudaToolkit.Probe p = probe(env(usr.resolve("bin").toString()));
        assertEquals(wrapper, p.nvcc().path());
        assertEquals("11.8", p.nvcc().version());
        assertEquals(usr, p.nvcc().home());
        assertFalse(CudaWheels.isWheel(p.nvcc()));
        // CUDA 11.8 takes g++ 11 at most: g++-11 is chosen over the newer plain g++
        assertEquals(List.of(new CudaToolkit.HostCompiler(usr.resolve("bin/g++"), 12), new CudaToolkit.HostCompiler(usr.resolve("bin/g++-11"), 11)),
                p.hostCompilers());
        assertEquals(usr.resolve("bin/g++-11"), CudaToolkit.chooseHost(p.nvcc(), p.hostCompilers()).path());
    }

    @Test
    void hostCompilerChoiceByToolkitRelease() {
        assertEquals(11, CudaToolkit.newestHostGcc("11.8"));
        assertEquals(10, CudaToolkit.newestHostGcc("11.2"));
        assertEquals(12, CudaToolkit.newestHostGcc("12.1"));
        assertEquals(13, CudaToolkit.newestHostGcc("12.4"));
        assertEquals(14, CudaToolkit.newestHostGcc("12.8"));
        assertEquals(15, CudaToolkit.newestHostGcc("13.0"));
        CudaToolkit.Nvcc cuda118 = new CudaToolkit.Nvcc(Path.of("/usr/bin/nvcc"), "11.8", "PATH");
        CudaToolkit.Nvcc cuda124 = new CudaToolkit.Nvcc(Path.of("/usr/local/cuda/bin/nvcc"), "12.4", "PATH");
        CudaToolkit.HostCompiler gxx = new CudaToolkit.HostCompiler(Path.of("/usr/bin/g++"), 12);
        CudaToolkit.HostCompiler gxx11 = new CudaToolkit.HostCompiler(Path.of("/usr/bin/g++-11"), 11);
        CudaToolkit.HostCompiler gxx10 = new CudaToolkit.HostCompiler(Path.of("/usr/bin/g++-10"), 10);
        assertEquals(gxx, CudaToolkit.chooseHost(cuda124, List.of(gxx, gxx11)), "the plain g++ when the toolkit takes it");
        assertEquals(gxx11, CudaToolkit.chooseHost(cuda118, List.of(gxx, gxx10, gxx11)), "the newest one it takes");
        UserError none = assertThrows(UserError.class, () -> CudaToolkit.chooseHost(cuda118, List.of(gxx)));
        assertEquals("CUDA 11.8 (/usr/bin/nvcc) accepts g++ 11 or older as its host compiler, but only g++ 12 (/usr/bin/g++)"
                + " is here: apt-get install -y g++-11", none.getMessage());
        UserError missing = assertThrows(UserError.class, () -> CudaToolkit.chooseHost(cuda118, List.of()));
        assertEquals("CUDA 11.8 needs a C++ host compiler (g++ 11 or older), but there is no g++ on PATH: apt-get install -y g++-11",
                missing.getMessage());
    }
}
