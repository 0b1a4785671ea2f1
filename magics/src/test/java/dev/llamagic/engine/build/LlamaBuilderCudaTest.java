package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA cross-build path end to end with the real nvcc, CMake, host compiler and ccache, on a tiny project shaped
 * like llama.cpp (its libggml-cuda.so is one real kernel): planning, configure, compile, the verification without a
 * device (the fatbin read back) and the pending device check. Runs with LLAMAGIC_TEST_CUDA set and nvcc installed
 * (tests/prepare/40-cuda-toolkit.sh); about a minute.
 */
class LlamaBuilderCudaTest {
    @TempDir
    Path tmp;

    static Path writeProject(Path dir) throws Exception {
        Path src = Files.createDirectories(dir);
        Files.writeString(src.resolve("CMakeLists.txt"), """
                cmake_minimum_required(VERSION 3.18)
                project(fake C)
                option(GGML_CUDA "fake" OFF)
                set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
                set(CMAKE_LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
                add_library(ggml-cpu SHARED lib.c)
                if (GGML_CUDA)
                    enable_language(CUDA)
                    add_library(ggml-cuda SHARED kernel.cu)
                endif()
                foreach(t llama-server llama-cli llama-bench llama-quantize)
                    add_executable(${t} main.c)
                    target_link_libraries(${t} ggml-cpu)
                    if (GGML_CUDA)
                        target_link_libraries(${t} ggml-cuda)
                    endif()
                endforeach()
                """);
        Files.writeString(src.resolve("lib.c"), "int ggml_fake(void) { return 1; }\n");
        Files.writeString(src.resolve("kernel.cu"), """
                __global__ void add_one(float *x, int n) {
                    int i = blockIdx.x * blockDim.x + threadIdx.x;
                    if (i < n) x[i] += 1.0f;
                }
                extern "C" void ggml_fake_cuda(float *x, int n) { add_one<<<(n + 255) / 256, 256>>>(x, n); }
                """);
        Files.writeString(src.resolve("main.c"), """
                #include <stdio.h>
                #include <string.h>
                int ggml_fake(void);
                int main(int argc, char **argv) {
                    if (argc > 1 && !strcmp(argv[1], "--version")) {
                        fprintf(stderr, "version: 0.5.0-dev (build 1, commit fake%d)\\nbuilt with cc\\n", ggml_fake());
                        return 0;
                    }
                    if (argc > 1 && !strcmp(argv[1], "--list-devices")) {
                        fprintf(stderr, "ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected\\n");
                        printf("Available devices:\\n  (none)\\n");
                        return 0;
                    }
                    return 2;
                }
                """);
        return src;
    }

    @Test
    void aCrossBuildWithTheRealNvccIsVerifiedWithoutADeviceAndLeftPending() throws Exception {
        String tier = System.getenv("LLAMAGIC_TEST_CUDA");
        assumeTrue(tier != null && !tier.isBlank(), "runs with LLAMAGIC_TEST_CUDA set (the CUDA tier)");
        assumeTrue(ChildProcess.which("nvcc", null) != null || System.getenv("CUDA_HOME") != null, "a CUDA toolkit is needed");
        assumeTrue(ChildProcess.which("nvidia-smi", null) == null, "a machine without a GPU");
        Path src = writeProject(tmp.resolve("fake-llama-cuda"));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("LLAMAGIC_HOME", tmp.resolve("home").toString());
        RecordingNotebook nb = new RecordingNotebook();
        Context ctx = new Context(nb, env, "test", null);

        LlamaBuilder.Result r = new LlamaBuilder(ctx).build(BuildOptions.defaults().withSource(src.toString()).cuda()
                .withCudaArchs(List.of("a10")));
        LlamaInstall i = r.install();
        assertEquals("cuda", i.backend());
        assertTrue(i.devicePending());
        assertEquals("sm_86 + PTX compute_86 in libggml-cuda.so", i.cudaCode());
        assertTrue(r.summary().startsWith("cross-built llama.cpp local-"), r.summary());
        assertTrue(r.summary().endsWith("; verified without a GPU (sm_86 + PTX compute_86 in libggml-cuda.so), device check pending"),
                r.summary());
        Map<String, String> rows = new LinkedHashMap<>();
        r.details().forEach(d -> rows.put(d.getKey(), d.getValue()));
        assertEquals("ggml-cpu, ggml-cuda", rows.get("backends"));
        assertEquals("none (no GPU here)", rows.get("devices seen"));
        assertEquals("86", rows.get("CUDA archs"));
        assertTrue(rows.get("device check").startsWith("pending: cross-built, device check pending"), rows.toString());
        assertTrue(rows.get("CUDA toolkit").contains(", host compiler "), rows.toString());
        assertTrue(nb.warnings.get(0).startsWith("no NVIDIA GPU here (nvidia-smi is not on PATH): cross-building for CUDA sm_86 with nvcc "),
                nb.warnings.toString());
        String log = Files.readString(r.plan().buildDir().resolve(LlamaBuilder.LOG));
        assertTrue(log.contains("-DCMAKE_CUDA_HOST_COMPILER=" + r.plan().hostCompiler().path()), log);
        if (ChildProcess.which("ccache", null) != null) {
            assertTrue(log.contains("-DCMAKE_CUDA_COMPILER_LAUNCHER="), log);
            assertTrue(Files.isDirectory(tmp.resolve("home/ccache")), "the cache lives under LLAMAGIC_HOME");
        }
        assertEquals(i, Llama.latest(ctx), "later commands find it, still pending (no GPU here)");

        // two architectures: another key, both in the library
        LlamaBuilder.Result two = new LlamaBuilder(ctx).build(BuildOptions.defaults().withSource(src.toString()).cuda()
                .withCudaArchs(List.of("t4,86-real")));
        assertFalse(two.plan().key().equals(r.plan().key()));
        assertEquals("sm_75, sm_86 + PTX compute_75 in libggml-cuda.so", two.install().cudaCode());
    }
}
