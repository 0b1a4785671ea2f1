package dev.llamagic.engine.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A tiny C project built with the real CMake and compiler whose programs are named like llama.cpp's and answer
 * {@code --version} / {@code --list-devices} as they do; {@code broken} does not compile.
 */
public final class FakeLlama {
    private FakeLlama() {}

    /** Writes the project into {@code dir} and returns it. */
    public static Path write(Path dir) throws IOException {
        Path src = Files.createDirectories(dir);
        StringBuilder cmake = new StringBuilder("""
                cmake_minimum_required(VERSION 3.14)
                project(fake C)
                option(GGML_CUDA "fake" OFF)
                set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
                add_library(ggml-cpu SHARED lib.c)
                set_target_properties(ggml-cpu PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
                add_executable(broken broken.c)
                """);
        for (String t : List.of("llama-server", "llama-cli", "llama-bench", "llama-gguf-split")) {
            cmake.append("add_executable(").append(t).append(" main.c)\ntarget_link_libraries(").append(t).append(" ggml-cpu)\n");
        }
        cmake.append("add_executable(llama-quantize quantize.c)\n");
        Files.writeString(src.resolve("CMakeLists.txt"), cmake.toString());
        Files.writeString(src.resolve("lib.c"), "int ggml_fake(void) { return 1; }\n");
        Files.writeString(src.resolve("main.c"), """
                #include <stdio.h>
                #include <string.h>
                int ggml_fake(void);
                int main(int argc, char **argv) {
                    if (argc > 1 && !strcmp(argv[1], "--version")) {
                        fprintf(stderr, "version: 0.5.0-dev (build 1, commit fake%d)\\nbuilt with cc\\n", ggml_fake());
                        return 0;
                    }
                    if (argc > 1 && !strcmp(argv[1], "--list-devices")) { printf("Available devices:\\n  (none)\\n"); return 0; }
                    return 2;
                }
                """);
        Files.writeString(src.resolve("quantize.c"), """
                #include <stdio.h>
                int main(void) { printf("usage: ./llama-quantize [--help] model-f32.gguf type\\n"); return 1; }
                """);
        Files.writeString(src.resolve("broken.c"), "#error this target does not compile\n");
        return src;
    }
}
