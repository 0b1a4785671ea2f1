package dev.llamagic.engine.serve;

import dev.llamagic.magic.serve.ServeCommand;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.gguf.GgufFile;
import dev.llamagic.engine.gguf.GgufReader;
import dev.llamagic.engine.gpu.NvidiaSmi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the GGUF to serve, reading its header, sizing its context. */
class ModelFilesTest {
    @TempDir
    Path home;

    @Test
    void headerReadsScalarsAndArrays() throws Exception {
        Path f = GgufFiles.write(home.resolve("m.gguf"), GgufFiles.qwen3_4b());
        GgufFile h = GgufReader.read(f);
        assertEquals(3, h.version());
        assertEquals("qwen3", h.architecture());
        assertEquals(40960, h.contextLength());
        assertEquals("Qwen3 4B", h.string("general.name"));
        assertEquals(List.of("a", "bb", "ccc"), h.get("tokenizer.ggml.tokens").list());
        // 36 layers × 8 KV heads × (128 + 128) × 2 bytes
        assertEquals(147456, h.kvBytesPerToken());
        assertEquals(f, ModelLocator.checkGguf(f));
    }

    @Test
    void aFileIsTakenAsIs() throws Exception {
        Path f = GgufFiles.write(home.resolve("a.gguf"), GgufFiles.qwen3_4b());
        ModelLocator.Found found = ModelLocator.locate(f.toString(), home);
        assertEquals(f.toAbsolutePath(), found.file());
        assertNull(found.note());
    }

    @Test
    void notGgufIsOneLineThatSaysWhat() throws Exception {
        Path st = Files.writeString(home.resolve("model.safetensors"), "{\"header\":1}");
        UserError e = assertThrows(UserError.class, () -> ModelLocator.locate(st.toString(), home));
        assertEquals(st.toAbsolutePath() + " is not a GGUF file: safetensors weights — convert them to GGUF first", e.getMessage());
        Path empty = Files.createFile(home.resolve("empty.gguf"));
        e = assertThrows(UserError.class, () -> ModelLocator.locate(empty.toString(), home));
        assertTrue(e.getMessage().endsWith("is not a GGUF file (it is empty — an interrupted download?)"), e.getMessage());
    }

    @Test
    void missingFile() {
        UserError e = assertThrows(UserError.class, () -> ModelLocator.locate(home.resolve("nope.gguf").toString(), home));
        assertEquals("no such file: " + home.resolve("nope.gguf"), e.getMessage());
        e = assertThrows(UserError.class, () -> ModelLocator.locate("Qwen/Nothing-Here", home));
        assertTrue(e.getMessage().startsWith("no model 'Qwen/Nothing-Here': not a file or directory, and no download of that name under "),
                e.getMessage());
    }

    @Test
    void aDirectoryYieldsItsBestGgufAndSaysWhich() throws Exception {
        Path dir = Files.createDirectories(home.resolve("models/Qwen/Qwen3-4B-GGUF"));
        GgufFiles.write(dir.resolve("Qwen3-4B-F16.gguf"), GgufFiles.qwen3_4b());
        GgufFiles.write(dir.resolve("Qwen3-4B-Q4_K_M.gguf"), GgufFiles.qwen3_4b());
        GgufFiles.write(dir.resolve("mmproj-Qwen3-4B-F16.gguf"), GgufFiles.qwen3_4b());
        ModelLocator.Found found = ModelLocator.locate(dir.toString(), home);
        assertEquals(dir.resolve("Qwen3-4B-Q4_K_M.gguf"), found.file());
        assertEquals("using Qwen3-4B-Q4_K_M.gguf from " + dir + " (also there: Qwen3-4B-F16.gguf; pass a file to choose)", found.note());
    }

    @Test
    void aDownloadIsFoundByName() throws Exception {
        Path dir = Files.createDirectories(home.resolve("models/Qwen/Qwen3-0___6B-GGUF"));
        GgufFiles.write(dir.resolve("Qwen3-0.6B-Q8_0.gguf"), GgufFiles.qwen3_4b());
        assertEquals(dir.resolve("Qwen3-0.6B-Q8_0.gguf"), ModelLocator.locate("Qwen/Qwen3-0.6B-GGUF", home).file());
        ModelLocator.Found byShortName = ModelLocator.locate("Qwen3-0.6B-GGUF", home);
        assertEquals(dir.resolve("Qwen3-0.6B-Q8_0.gguf"), byShortName.file());
        assertTrue(byShortName.note().startsWith("'Qwen3-0.6B-GGUF' is the download at " + dir), byShortName.note());
    }

    @Test
    void aDirectoryOfSafetensorsSaysConvertFirst() throws Exception {
        Path dir = Files.createDirectories(home.resolve("hf"));
        Files.writeString(dir.resolve("model.safetensors"), "x");
        UserError e = assertThrows(UserError.class, () -> ModelLocator.locate(dir.toString(), home));
        assertTrue(e.getMessage().contains("holds safetensors weights — convert them to GGUF first"), e.getMessage());
    }

    @Test
    void splitModelsStartAtTheFirstShard() throws Exception {
        Path dir = Files.createDirectories(home.resolve("big"));
        GgufFiles.write(dir.resolve("m-Q4_K_M-00001-of-00002.gguf"), GgufFiles.qwen3_4b());
        GgufFiles.write(dir.resolve("m-Q4_K_M-00002-of-00002.gguf"), GgufFiles.qwen3_4b());
        assertEquals(dir.resolve("m-Q4_K_M-00001-of-00002.gguf"), ModelLocator.locate(dir.toString(), home).file());
    }

    @Test
    void contextFitsTheMemoryOrSaysWhyNot() throws Exception {
        GgufFile h = GgufReader.read(GgufFiles.write(home.resolve("m.gguf"), GgufFiles.qwen3_4b()));
        long gib = 1L << 30;
        List<String> notes = new ArrayList<>();
        // A10 24 GiB, 2.5 GiB of weights: 40960 tokens (5.6 GiB of KV) fit
        assertEquals(40960, Presets.fitContext(40960, h, 2_500_000_000L, new Presets.Memory(22 * gib, true, "GPU memory"), true, notes));
        assertTrue(notes.get(0).startsWith("context 40960: its KV cache (5.6 GiB, f16) and the weights"), notes.get(0));
        notes.clear();
        // T4 with 6 GiB free: halves until it fits
        int c = Presets.fitContext(40960, h, 2_500_000_000L, new Presets.Memory(6 * gib, true, "GPU memory"), true, notes);
        assertEquals(20480, c);
        assertTrue(notes.get(0).startsWith("context 20480 instead of 40960: a 40960-token KV cache needs 5.6 GiB"), notes.get(0));
        notes.clear();
        // a CPU machine says so
        Presets.fitContext(40960, h, 2_500_000_000L, new Presets.Memory(64 * gib, false, "RAM"), false, notes);
        assertTrue(notes.stream().anyMatch(n -> n.startsWith("CPU only")), notes.toString());
    }

    @Test
    void loadFailuresAreNamed() {
        assertEquals("out of GPU memory", LoadFailure.reason(List.of("x",
                "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 9000 MiB on device 0: cudaMalloc failed: out of memory"), 1));
        assertEquals("unsupported model architecture: 'qwen9'",
                LoadFailure.reason(List.of("llama_model_load: error loading model: error loading model architecture: unknown model architecture: 'qwen9'"), 1));
        assertEquals("not a valid GGUF file", LoadFailure.reason(List.of("gguf_init_from_file_impl: invalid magic characters: 'abcd', expected 'GGUF'"), 1));
        assertEquals("killed (SIGKILL: out of memory?)", LoadFailure.reason(List.of("loading..."), 137));
        assertNull(LoadFailure.reason(List.of("all fine"), 0));
    }

    @Test
    void namesComeFromTheFile() {
        assertEquals("qwen3-4b-q4_k_m", Servers.defaultName(null, Path.of("/m/Qwen3-4B-Q4_K_M.gguf")));
        assertEquals("big", Servers.defaultName(null, Path.of("/m/big-00001-of-00003.gguf")));
        assertEquals("my-model", Servers.defaultName("My Model", Path.of("/m/x.gguf")));
    }

    @Test
    void computeAppsCsv() {
        assertEquals(Map.of(1234L, 5678L, 99L, 1L), ServeCommand.memoryByPid(
                NvidiaSmi.parseApps("1234, llama-server, 5000\n99, python3, 1\n77, x, [N/A]\n1234, llama-server, 678\n")));
    }
}
