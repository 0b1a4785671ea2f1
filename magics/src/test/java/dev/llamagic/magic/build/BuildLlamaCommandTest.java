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
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code %build-llama} through {@link Commands#run} on the fake llama.cpp project: the lines the user sees. */
class BuildLlamaCommandTest {
    @TempDir
    Path tmp;

    @Test
    void showsTheVerificationTableAndOneSummaryLineAndNamesItselfInErrors() throws Exception {
        assumeTrue(ChildProcess.which("cmake", null) != null && ChildProcess.which("cc", null) != null, "cmake and cc needed");
        Path src = FakeLlama.write(tmp.resolve("fake-llama"));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("LLAMAGIC_HOME", tmp.resolve("home").toString());
        RecordingNotebook nb = new RecordingNotebook();
        Context ctx = new Context(nb, env, "test", null);
        List<String> args = List.of("--source", src.toString(), "--cpu");

        Commands.run(Commands.find("build-llama"), args, null, ctx);
        assertEquals(1, nb.lines.size(), nb.lines.toString());
        assertTrue(nb.lines.get(0).startsWith("%build-llama: built and verified llama.cpp local-"), nb.lines.get(0));
        assertEquals(1, nb.blocks.size(), nb.blocks.toString());
        String table = nb.blocks.get(0);
        assertTrue(table.startsWith("llama.cpp build local-") && !table.contains("(cached)"), table);
        assertTrue(table.contains("\n  backends        ggml-cpu\n"), table);
        assertTrue(table.contains("\n  devices seen    none (CPU only)\n"), table);

        Commands.run(Commands.find("build-llama"), args, null, ctx);
        String hit = nb.lines.get(1);
        assertTrue(hit.startsWith("%build-llama: llama.cpp local-") && hit.contains(" (CPU) is already built and verified (cached build ")
                && hit.endsWith(" s (--rebuild builds it again)"), hit);
        assertTrue(nb.blocks.get(1).startsWith("llama.cpp build local-") && nb.blocks.get(1).contains(" (cached)\n"), nb.blocks.get(1));

        // engine errors get the command's name once, in the magic layer
        UserError e = assertThrows(UserError.class, () -> Commands.run(Commands.find("build-llama"),
                List.of("--source", src.toString(), "--cpu", "-DGGMML_CUDA=ON"), null, ctx));
        assertEquals("%build-llama: -DGGMML_CUDA is not a llama.cpp option (did you mean GGML_CUDA?);"
                + " for a CUDA build use --cuda", e.getMessage());
        // before anything slow: a source that would have to be fetched from the network is never touched
        UserError early = assertThrows(UserError.class, () -> Commands.run(Commands.find("build-llama"),
                List.of("--source", "https://invalid.example/llama.cpp", "--dry-run", "-DGGMML_CUDA=ON"), null, ctx));
        assertEquals(e.getMessage(), early.getMessage());
        assertEquals(java.util.Optional.empty(), dev.llamagic.engine.build.BuildPlan.likelyTypo("GGML_CUDA"));
        assertEquals(java.util.Optional.empty(), dev.llamagic.engine.build.BuildPlan.likelyTypo("MY_OWN_PROJECT_OPTION"));
        UserError missing = assertThrows(UserError.class, () -> Commands.run(Commands.find("build-llama"),
                List.of("--source", tmp.resolve("nope").toString(), "--cpu"), null, ctx));
        assertTrue(missing.getMessage().startsWith("%build-llama: --source " + tmp.resolve("nope") + " is neither a directory"),
                missing.getMessage());
        if (ChildProcess.which("nvcc", env) == null && !java.nio.file.Files.exists(Path.of("/usr/local/cuda/bin/nvcc"))
                && env.get("CUDA_HOME") == null && env.get("CUDA_PATH") == null) {
            String cuda = assertThrows(UserError.class, () -> Commands.run(Commands.find("build-llama"),
                    List.of("--source", src.toString(), "--cuda"), null, ctx)).getMessage();
            assertTrue(cuda.startsWith("%build-llama: --cuda needs the CUDA toolkit, but no nvcc was found (looked at "), cuda);
            assertTrue(cuda.endsWith("): install the toolkit or set CUDA_HOME, or build with --cpu"), cuda);
        }
    }
}
