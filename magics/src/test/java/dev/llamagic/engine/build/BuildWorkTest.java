package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.Progress;
import dev.llamagic.core.RecordingNotebook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildWorkTest {
    @TempDir
    Path dir;

    private static final String CUDA = "ggml/src/ggml-cuda/CMakeFiles/ggml-cuda.dir/";

    /** A build.ninja as CMake's Ninja generator writes it (the edges that matter here). */
    private void configured() throws IOException {
        String src = "/src/llama.cpp/ggml/src/ggml-cuda/";
        Files.writeString(dir.resolve("build.ninja"), String.join("\n",
                "build ggml/src/CMakeFiles/ggml-base.dir/ggml.cpp.o: CXX_COMPILER__ggml-base_Release /src/llama.cpp/ggml/src/ggml.cpp || x",
                "build ggml/src/CMakeFiles/ggml-base.dir/ggml.c.o: C_COMPILER__ggml-base_Release /src/llama.cpp/ggml/src/ggml.c || x",
                "build " + CUDA + "acc.cu.o: CUDA_COMPILER__ggml-cuda_Release " + src + "acc.cu || x",
                "build " + CUDA + "add-id.cu.o: CUDA_COMPILER__ggml-cuda_Release " + src + "add-id.cu || x",
                "build " + CUDA + "argmax.cu.o: CUDA_COMPILER__ggml-cuda_Release " + src + "argmax.cu || x",
                "build " + CUDA + "template-instances/mmq-instance-q4_0.cu.o: CUDA_COMPILER__ggml-cuda_Release "
                        + src + "template-instances/mmq-instance-q4_0.cu || x",
                "build " + CUDA + "template-instances/mmq-instance-q8_0.cu.o: CUDA_COMPILER__ggml-cuda_Release "
                        + src + "template-instances/mmq-instance-q8_0.cu || x",
                "build bin/llama-server: CXX_EXECUTABLE_LINKER__llama-server_Release tools/server/server.cpp.o",
                "  LINK_FLAGS = -O3", ""));
    }

    @Test
    void cudaObjectsCountByKindAndArchitectures() throws IOException {
        configured();
        BuildWork w = BuildWork.of(dir, 1);
        // 3 ordinary CUDA objects, 2 template instances, 3 other steps
        assertEquals(3 * 1.7 + 2 * 6.8 + 3, w.total(8), 1e-9);
        // each architecture adds the device part again
        assertEquals(3 * 2.4 + 2 * 12.6 + 3, BuildWork.of(dir, 2).total(8), 1e-9);
        assertEquals(0, w.done(0), 1e-9);
        w.step("Building CXX object ggml/src/CMakeFiles/ggml-base.dir/ggml.cpp.o");
        assertEquals(1, w.done(1), 1e-9);
        w.step("Building CUDA object " + CUDA + "template-instances/mmq-instance-q4_0.cu.o");
        assertEquals(1 + 6.8, w.done(2), 1e-9);
        w.step("Building CUDA object " + CUDA + "acc.cu.o");
        assertEquals(1 + 6.8 + 1.7, w.done(3), 1e-9);
    }

    @Test
    void aResumedBuildCountsOnlyTheCudaObjectsStillToBuild() throws IOException {
        configured();
        Files.createDirectories(dir.resolve(CUDA + "template-instances"));
        Files.writeString(dir.resolve(CUDA + "template-instances/mmq-instance-q4_0.cu.o"), "");
        Files.writeString(dir.resolve(CUDA + "acc.cu.o"), "");
        // ninja runs what is left: 2 ordinary CUDA objects, 1 instance, 3 other steps
        assertEquals(2 * 1.7 + 6.8 + 3, BuildWork.of(dir, 1).total(6), 1e-9);
    }

    @Test
    void withoutCudaOrBuildNinjaTheWorkIsTheSteps() throws IOException {
        assertEquals(42, BuildWork.of(dir, 1).total(42), 1e-9, "no build.ninja (make): steps");
        configured();
        BuildWork cpu = BuildWork.of(dir, 0);
        cpu.step("Building CUDA object " + CUDA + "acc.cu.o");
        assertEquals(42, cpu.total(42), 1e-9);
        assertEquals(5, cpu.done(5), 1e-9);
        assertEquals(BuildWork.steps().total(7), 7, 1e-9);
    }

    @Test
    void theEtaAfterTheCppStepsCountsTheCudaObjectsStillToCome() throws IOException {
        configured();
        BuildWork w = BuildWork.of(dir, 1);
        AtomicLong now = new AtomicLong();
        RecordingNotebook nb = new RecordingNotebook();
        Progress bar = new Progress(nb, "building llama.cpp", 0, Progress.Unit.STEPS, now::get);
        // the first 2 steps (C and C++) took 20 s; 5 CUDA objects and a link are left
        w.step("Building C object ggml/src/CMakeFiles/ggml-base.dir/ggml.c.o");
        w.step("Building CXX object ggml/src/CMakeFiles/ggml-base.dir/ggml.cpp.o");
        bar.total(8);
        bar.set(2);
        now.addAndGet(20_000_000_000L);
        bar.work(w.done(2), w.total(8));
        String last = nb.lastLive();
        // counted as steps: 60 s left; weighted: (3 x 1.7 + 2 x 6.8 + 1) / 2 x 20 s = 197 s
        assertTrue(last.contains("2 / 8") && last.contains("ETA 3 min 17 s") && last.contains("9%"), last);
    }
}
