package dev.llamagic.magic.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.build.FakeLlama;
import dev.llamagic.magic.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lines of {@code %build-llama --cuda} on a machine without a GPU, in the magic's words (its flags). */
class CrossBuildMessagesTest {
    @TempDir
    Path tmp;

    private Context ctx(String nvccRelease, String gxxVersion) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        script(bin.resolve("nvcc"), "#!/bin/sh\necho 'Cuda compilation tools, release " + nvccRelease + ", V" + nvccRelease + ".89'\n");
        script(bin.resolve("g++"), "#!/bin/sh\necho " + gxxVersion + "\n");
        Map<String, String> env = new HashMap<>();
        // the fake toolkit and compiler, the real cmake beside them; no nvidia-smi anywhere
        env.put("PATH", bin.toString());
        Files.createSymbolicLink(bin.resolve("cmake"), ChildProcess.which("cmake", null));
        env.put("LLAMAGIC_HOME", tmp.resolve("home").toString());
        return new Context(new RecordingNotebook(), env, "test", null);
    }

    private static void script(Path p, String text) throws Exception {
        Files.writeString(p, text);
        p.toFile().setExecutable(true);
    }

    @Test
    void cudaWithoutGpuOrArchitectureNamesTheWayToCrossBuild() throws Exception {
        assumeTrue(ChildProcess.which("cmake", null) != null, "cmake needed");
        Path src = FakeLlama.write(tmp.resolve("fake-llama"));
        Context ctx = ctx("12.4", "12.2.0");
        UserError e = assertThrows(UserError.class, () -> Commands.run(Commands.find("build-llama"),
                List.of("--source", src.toString(), "--cuda"), null, ctx));
        assertTrue(e.getMessage().startsWith("%build-llama: --cuda found nvcc 12.4 at "), e.getMessage());
        assertTrue(e.getMessage().endsWith("but no NVIDIA GPU (nvidia-smi is not on PATH): run it on a GPU instance, cross-build"
                + " for it with --cuda-arch (86 for an A10, 75 for a T4), or build with --cpu"), e.getMessage());
        UserError bad = assertThrows(UserError.class, () -> Commands.run(Commands.find("build-llama"),
                List.of("--source", src.toString(), "--cuda", "--cuda-arch", "a10,fermi"), null, ctx));
        assertTrue(bad.getMessage().startsWith("%build-llama: --cuda-arch fermi is neither a CUDA architecture nor a GPU we know"),
                bad.getMessage());
    }

    @Test
    void theDryRunOfACrossBuildSaysWithWhatAndAnUnfitHostCompilerIsOneLine() throws Exception {
        assumeTrue(ChildProcess.which("cmake", null) != null, "cmake needed");
        Path src = FakeLlama.write(tmp.resolve("fake-llama"));
        Context ctx = ctx("12.4", "12.2.0");
        RecordingNotebook nb = (RecordingNotebook) ctx.notebook();
        Commands.run(Commands.find("build-llama"), List.of("--source", src.toString(), "--cuda", "--cuda-arch", "a10", "--dry-run"), null, ctx);
        assertEquals(List.of("no NVIDIA GPU here (nvidia-smi is not on PATH): cross-building for CUDA sm_86 with nvcc 12.4 and g++ 12 ("
                + tmp.resolve("bin/g++") + "); the device check waits for the first build or server start on a GPU"), nb.warnings);
        String plan = nb.blocks.get(0);
        assertTrue(plan.contains("backend:   cuda (CMAKE_CUDA_ARCHITECTURES=86)"), plan);
        assertTrue(plan.contains(" -DCMAKE_CUDA_HOST_COMPILER=" + tmp.resolve("bin/g++")), plan);

        Context old = ctx2("11.8", "12.2.0");
        UserError e = assertThrows(UserError.class, () -> Commands.run(Commands.find("build-llama"),
                List.of("--source", src.toString(), "--cuda", "--cuda-arch", "86"), null, old));
        assertEquals("%build-llama: CUDA 11.8 (" + tmp.resolve("old/bin/nvcc") + ") accepts g++ 11 or older as its host compiler,"
                + " but only g++ 12 (" + tmp.resolve("old/bin/g++") + ") is here: apt-get install -y g++-11", e.getMessage());
    }

    /** A second fake machine beside the first. */
    private Context ctx2(String nvccRelease, String gxxVersion) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("old/bin"));
        script(bin.resolve("nvcc"), "#!/bin/sh\necho 'Cuda compilation tools, release " + nvccRelease + ", V" + nvccRelease + ".89'\n");
        script(bin.resolve("g++"), "#!/bin/sh\necho " + gxxVersion + "\n");
        Files.createSymbolicLink(bin.resolve("cmake"), ChildProcess.which("cmake", null));
        Map<String, String> env = new HashMap<>();
        env.put("PATH", bin.toString());
        env.put("LLAMAGIC_HOME", tmp.resolve("home2").toString());
        return new Context(new RecordingNotebook(), env, "test", null);
    }
}
