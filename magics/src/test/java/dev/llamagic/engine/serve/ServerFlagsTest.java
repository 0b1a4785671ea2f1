package dev.llamagic.engine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Flag fitting against the --help text of a real llama-server (CPU build of commit de3ff81). */
class ServerFlagsTest {

    static String help() throws IOException {
        try (InputStream in = ServerFlagsTest.class.getResourceAsStream("llama-server-help-de3ff81.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** An older llama-server, whose -fa was a bare switch and which knew no --reasoning-format. */
    static final String OLD_HELP = String.join("\n",
            "-h,    --help, --usage                  print usage and exit",
            "-c,    --ctx-size N                     size of the prompt context (default: 4096, 0 = loaded from model)",
            "-fa,   --flash-attn                     enable Flash Attention (default: disabled)",
            "-ngl,  --gpu-layers, --n-gpu-layers N   number of layers to store in VRAM",
            "-m,    --model FNAME                    model path",
            "--host HOST                             ip address to listen (default: 127.0.0.1)",
            "--port PORT                             port to listen (default: 8080)",
            "--temp N                                temperature (default: 0.8)",
            "");

    @Test
    void parsesTheRealHelp() throws Exception {
        ServerFlags f = ServerFlags.parse(help(), "Available devices:\n  (none)\n");
        assertTrue(f.knows("-fa") && f.knows("--flash-attn"));
        assertEquals(List.of("on", "off", "auto"), f.option("-fa").orElseThrow().choices());
        assertEquals(List.of("none", "layer", "row", "tensor"), f.option("--split-mode").orElseThrow().choices());
        assertEquals("N", f.option("--n-gpu-layers").orElseThrow().hint());
        assertTrue(f.option("-ngl").orElseThrow().help().contains("'all'"));
        assertEquals("KEY=TYPE:VALUE,...", f.option("--override-kv").orElseThrow().hint());
        assertTrue(f.knows("--no-slots") && f.knows("--reasoning-format") && f.knows("-hfr") && f.knows("--usage"));
        assertFalse(f.option("--metrics").orElseThrow().takesValue());
        assertFalse(f.knows("----- common params -----"));
        assertFalse(f.gpu());
        assertEquals(List.of(), f.devices());
    }

    @Test
    void devicesOfACudaBuild() {
        List<String> d = ServerFlags.devices("ggml_cuda_init: found 1 CUDA devices:\nAvailable devices:\n"
                + "  CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)\n");
        assertEquals(List.of("CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)"), d);
    }

    @Test
    void fitsASpecToTheBinary() throws Exception {
        ServerFlags f = ServerFlags.parse(help(), "");
        ServerSpec spec = ServerSpec.builder(Path.of("/m/q.gguf")).port(8123).ctx(4096).ngl("all").flashAttention("on")
                .temperature(0.6).topK(20).topP(0.95).minP(0.0).reasoningFormat("deepseek").alias("qwen3")
                .extraFlags(List.of("-fa", "--load-mode", "none", "--seed", "-1", "--ubatch-size=256")).build();
        List<String> notes = new ArrayList<>();
        List<String> argv = f.argv(spec, notes);
        assertEquals(List.of("-m", "/m/q.gguf", "-a", "qwen3", "--host", "127.0.0.1", "--port", "8123", "-c", "4096",
                "--temp", "0.6", "--top-k", "20", "--top-p", "0.95", "--min-p", "0.0",
                "--reasoning-format", "deepseek", "--slots", "--metrics",
                "-fa", "on", "--load-mode", "none", "--seed", "-1", "--ubatch-size=256"), argv, "the raw -fa replaces the spec's");
        // raw flags replace the spec's setting of the same option, whatever the spelling
        List<String> replaced = f.argv(ServerSpec.builder(Path.of("m.gguf")).port(1).ctx(4096)
                .extraFlags(List.of("--ctx-size", "8192")).build(), new ArrayList<>());
        assertEquals(List.of("-m", "m.gguf", "--host", "127.0.0.1", "--port", "1", "--slots", "--metrics", "--ctx-size", "8192"), replaced);
        ServeError e = assertThrows(ServeError.class, () -> f.argv(ServerSpec.builder(Path.of("m.gguf")).port(1)
                .extraFlags(List.of("--port", "8080")).build(), new ArrayList<>()));
        assertEquals("--port is set by llamagic itself, not by a raw flag", e.getMessage());
        assertEquals(ServeError.Kind.RESERVED_FLAG, e.kind());
        assertEquals("--port", e.subject());
        assertEquals(List.of("-ngl all left out: this llama.cpp build has no GPU backend (CPU only)",
                "bare -fa means '-fa on' for this llama-server (it wants on|off|auto)"), notes);
    }

    @Test
    void theApiKeyGoesByEnvironmentWhereTheBinaryReadsIt() throws Exception {
        ServerSpec spec = ServerSpec.builder(Path.of("m.gguf")).port(1).apiKey("sekrit").build();
        ServerFlags f = ServerFlags.parse(help(), "");
        assertFalse(f.argv(spec, new ArrayList<>()).contains("sekrit"));
        assertEquals(java.util.Map.of("LLAMA_API_KEY", "sekrit"), f.env(spec));
        ServerFlags old = ServerFlags.parse(OLD_HELP + "--api-key KEY                           API key to use for authentication\n", "");
        assertTrue(old.argv(spec, new ArrayList<>()).containsAll(List.of("--api-key", "sekrit")));
        assertEquals(java.util.Map.of(), old.env(spec));
    }

    @Test
    void aGpuBuildGetsItsLayers() throws Exception {
        ServerFlags f = ServerFlags.parse(help(), "Available devices:\n  CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)\n");
        assertTrue(f.gpu());
        assertEquals(22000L << 20, f.deviceFreeBytes());
        List<String> argv = f.argv(ServerSpec.builder(Path.of("m.gguf")).port(1).ngl("all").splitMode("layer").build(), new ArrayList<>());
        assertTrue(String.join(" ", argv).contains("-ngl all -sm layer"), argv.toString());
        UserError e = assertThrows(UserError.class,
                () -> f.argv(ServerSpec.builder(Path.of("m.gguf")).port(1).splitMode("rows").build(), new ArrayList<>()));
        assertEquals("split mode 'rows' is not accepted by this llama-server (-sm takes none|layer|row|tensor)", e.getMessage());
    }

    @Test
    void anOldBinaryGetsABareFaAndNoReasoningFormat() {
        ServerFlags f = ServerFlags.parse(OLD_HELP, "Available devices:\n  CUDA0: Tesla T4 (15000 MiB, 14000 MiB free)\n");
        List<String> notes = new ArrayList<>();
        List<String> argv = f.argv(ServerSpec.builder(Path.of("m.gguf")).port(9).flashAttention("on").ngl("all")
                .reasoningFormat("deepseek").build(), notes);
        assertEquals(List.of("-m", "m.gguf", "--host", "127.0.0.1", "--port", "9", "-ngl", "99", "-fa"), argv);
        assertEquals(List.of("this build's -ngl takes no 'all': using -ngl 99",
                "reasoning format (--reasoning-format deepseek) left out: this llama-server does not know --reasoning-format"), notes);
        // the tutorial's bare -fa stays bare here
        assertEquals(List.of("-fa", "-c", "2048"), f.fitRaw(List.of("-fa", "-c", "2048"), new ArrayList<>()));
    }

    @Test
    void unknownRawFlagsAreRefusedWithASuggestion() throws Exception {
        ServerFlags f = ServerFlags.parse(help(), "");
        ServeError u = assertThrows(ServeError.class, () -> f.fitRaw(List.of("--flash-atention", "on"), new ArrayList<>()));
        assertEquals("llama-server does not know the flag --flash-atention (did you mean --flash-attn?)", u.getMessage());
        assertEquals(ServeError.Kind.UNKNOWN_FLAG, u.kind());
        UserError e = assertThrows(UserError.class, () -> f.fitRaw(List.of("--zzzz"), new ArrayList<>()));
        assertEquals("llama-server does not know the flag --zzzz", e.getMessage());
        e = assertThrows(UserError.class, () -> f.fitRaw(List.of("--threads"), new ArrayList<>()));
        assertEquals("llama-server's --threads needs a value (N)", e.getMessage());
    }

    @Test
    void theTutorialsFlashAttentionSpellings() throws Exception {
        ServerFlags f = ServerFlags.parse(help(), "");
        List<String> notes = new ArrayList<>();
        // "-fa -sm row": the old way, which today's binary rejects ("unknown value for --flash-attn: '-sm'")
        assertEquals(List.of("-fa", "on", "-sm", "row"), f.fitRaw(List.of("-fa", "-sm", "row"), notes));
        assertEquals(List.of("--flash-attn", "off"), f.fitRaw(List.of("--flash-attn", "off"), notes));
        assertEquals(List.of("-fa", "on"), f.fitRaw(List.of("-fa"), notes));
    }
}
