package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Qwen2.5-VL: the language model as {@code qwen2vl} (multimodal RoPE sections), the vision tower as the projector
 * GGUF with the converter's names, shapes, types and reshapes (Conv3D split in two temporal slices, qkv in thirds),
 * read back with {@link GgufReader} and compared element by element with the source.
 */
class Qwen2VLArchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int VH = 32;
    static final int VFF = 64;

    @TempDir
    Path tmp;

    @Test
    void isRegisteredUnderTheCheckpointsClassNames() {
        assertInstanceOf(Qwen2VLArch.class, Arch.find("Qwen2_5_VLForConditionalGeneration"));
        assertInstanceOf(Qwen2VLArch.class, Arch.find("Qwen2VLForConditionalGeneration"));
        assertEquals("qwen2vl", new Qwen2VLArch().ggufName());
        assertInstanceOf(Qwen2VLVision.class, new Qwen2VLArch().vision());
        assertNull(new Qwen2Arch().vision(), "text models have no projector");
    }

    @Test
    void theLanguageModelLeavesTheVisionTowerToTheProjector() {
        Qwen2VLArch a = new Qwen2VLArch();
        assertNull(a.tensorName("visual.blocks.0.attn.qkv.weight"));
        assertNull(a.tensorName("visual.patch_embed.proj.weight"));
        assertNull(a.tensorName("visual.merger.mlp.0.weight"));
        assertEquals("blk.0.attn_q.bias", a.tensorName("model.layers.0.self_attn.q_proj.bias"));
        assertEquals("token_embd.weight", a.tensorName("model.embed_tokens.weight"));
    }

    @Test
    void ropeSectionsArePaddedToFourAndWrittenBeforeTheBase() throws Exception {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        new Qwen2VLArch().parameters(JSON.readTree("""
                {"num_hidden_layers": 36, "max_position_embeddings": 128000, "hidden_size": 2048, "intermediate_size": 11008,
                 "num_attention_heads": 16, "num_key_value_heads": 2, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
                 "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}}"""), kv, 32);
        assertEquals(List.of("qwen2vl.block_count", "qwen2vl.context_length", "qwen2vl.embedding_length",
                "qwen2vl.feed_forward_length", "qwen2vl.attention.head_count", "qwen2vl.attention.head_count_kv",
                "qwen2vl.rope.dimension_sections", "qwen2vl.rope.freq_base", "qwen2vl.attention.layer_norm_rms_epsilon",
                "general.file_type"), List.copyOf(kv.keySet()));
        GgufValue s = kv.get("qwen2vl.rope.dimension_sections");
        assertEquals(GgufValue.Type.INT32, s.elemType());
        assertEquals(List.of(16L, 24L, 24L, 0L), s.list());
    }

    @Test
    void irregularWindowAttentionIsRefusedInOneLine() throws Exception {
        ObjectNode c = config();
        ((ObjectNode) c.get("vision_config")).putArray("fullatt_block_indexes").add(1).add(2);
        UserError e = assertThrows(UserError.class, () -> new Qwen2VLVision().parameters(c, preprocessor(), new LinkedHashMap<>()));
        assertEquals("config.json's vision_config has irregular fullatt_block_indexes [1,2]", e.getMessage());
    }

    @Test
    void whenOneFileFailsTheOtherIsStillWrittenAndNoTemporaryFileStays() throws Exception {
        Path dir = model(new LinkedHashMap<>());
        HfConverter.Options o = HfConverter.Options.builder(dir).outtype("f16").threads(2).build();
        Files.createDirectories(dir.resolve("mmproj-Tiny-VL-F16.gguf").resolve("x")); // a folder where the projector goes
        assertThrows(IOException.class, () -> Gguf.convertAll(HfConverterTest.context(HfConverterTest.quiet(() -> {})), o));
        try (var files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("Tiny-VL-") && n.endsWith("-F16.gguf")), names.toString());
            assertTrue(names.stream().noneMatch(n -> n.endsWith(HfConverter.TMP_SUFFIX)), names.toString());
        }
    }

    @Test
    void anInterruptStopsBothFilesAndLeavesNeither() throws Exception {
        Path dir = model(new LinkedHashMap<>());
        HfConverter.Options o = HfConverter.Options.builder(dir).outtype("f16").threads(2).build();
        dev.llamagic.core.Context ctx = HfConverterTest.context(HfConverterTest.quiet(() -> {}));
        ctx.cancel();
        assertThrows(dev.llamagic.core.Interrupted.class, () -> Gguf.convertAll(ctx, o));
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".gguf") || p.toString().endsWith(HfConverter.TMP_SUFFIX)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "bf16", "f32", "q8_0"})
    void bothFilesHoldWhatTheConverterWrites(String outtype) throws Exception {
        Map<String, TinyModel.Src> src = new LinkedHashMap<>();
        Path dir = model(src);
        HfConverter.Options o = HfConverter.Options.builder(dir).outtype(outtype).threads(2).build();
        List<HfConverter.Result> results = Gguf.convertAll(HfConverterTest.context(HfConverterTest.quiet(() -> {})), o);
        assertEquals(2, results.size());
        String type = outtype.toUpperCase();
        assertEquals(dir.resolve("Tiny-VL-" + ModelName.sizeLabel(results.get(0).parameters()) + "-" + type + ".gguf"), results.get(0).out());
        assertEquals(dir.resolve("mmproj-Tiny-VL-" + type + ".gguf"), results.get(1).out());
        assertTrue(Files.list(dir).noneMatch(p -> p.toString().endsWith(HfConverter.TMP_SUFFIX)));

        GgufFile text = GgufReader.read(results.get(0).out());
        assertEquals("qwen2vl", text.architecture());
        assertEquals(List.of(2L, 3L, 3L, 0L), text.get("qwen2vl.rope.dimension_sections").list());
        assertTrue(text.tensors().stream().noneMatch(t -> t.name().startsWith("v.") || t.name().startsWith("mm.")));
        assertEquals(2 + 12, text.tensors().size());

        GgufFile mm = GgufReader.read(results.get(1).out());
        assertEquals("clip", mm.architecture());
        assertEquals("mmproj", mm.string("general.type"));
        assertEquals(List.of("general.architecture", "general.type", "general.name", "general.size_label", "general.file_type",
                "clip.has_vision_encoder", "clip.vision.projection_dim", "clip.vision.image_size", "clip.vision.patch_size",
                "clip.vision.embedding_length", "clip.vision.feed_forward_length", "clip.vision.block_count",
                "clip.vision.attention.head_count", "clip.vision.image_mean", "clip.vision.image_std", "clip.projector_type",
                "clip.use_silu", "clip.vision.n_wa_pattern", "clip.vision.attention.layer_norm_epsilon",
                "general.quantization_version"), List.copyOf(mm.metadata().keySet()));
        assertEquals("qwen2.5vl_merger", mm.string("clip.projector_type"));
        assertEquals(64L, mm.number("clip.vision.projection_dim", 0));
        assertEquals(560L, mm.number("clip.vision.image_size", 0));
        assertEquals(VH, mm.number("clip.vision.embedding_length", 0));
        assertEquals(VFF, mm.number("clip.vision.feed_forward_length", 0));
        assertEquals(2L, mm.number("clip.vision.n_wa_pattern", 0));
        assertEquals(GgufValue.Type.FLOAT32, mm.get("clip.vision.image_mean").elemType());
        assertEquals(0.48145466f, ((Number) mm.get("clip.vision.image_mean").list().get(0)).floatValue());

        GgmlType ft = HfConverter.outtype(outtype, Safetensors.open(dir));
        GgmlType patchType = ft == GgmlType.F16 ? GgmlType.F16 : GgmlType.F32;
        List<String> names = mm.tensors().stream().map(GgufTensorInfo::name).toList();
        assertEquals(List.of("v.blk.0.attn_out.bias", "v.blk.0.attn_out.weight", "v.blk.0.attn_q.bias", "v.blk.0.attn_k.bias",
                "v.blk.0.attn_v.bias", "v.blk.0.attn_q.weight", "v.blk.0.attn_k.weight", "v.blk.0.attn_v.weight",
                "v.blk.0.ffn_down.bias", "v.blk.0.ffn_down.weight", "v.blk.0.ffn_gate.bias", "v.blk.0.ffn_gate.weight",
                "v.blk.0.ffn_up.bias", "v.blk.0.ffn_up.weight", "v.blk.0.ln1.weight", "v.blk.0.ln2.weight",
                "v.post_ln.weight", "mm.0.bias", "mm.0.weight", "mm.2.bias", "mm.2.weight",
                "v.patch_embd.weight", "v.patch_embd.weight.1"), names);

        // the patch embedding: [32, 3, 2, 14, 14] → two [32, 3, 14, 14] slices (ggml dims innermost first)
        for (int t = 0; t < 2; t++) {
            GgufTensorInfo p = mm.tensor(t == 0 ? "v.patch_embd.weight" : "v.patch_embd.weight.1");
            assertArrayEquals(new long[] {14, 14, 3, VH}, p.dims());
            assertEquals(patchType, p.type(), "forced F16 only for an F16 file, else F32");
            float[] whole = src.get("visual.patch_embed.proj.weight").values();
            float[] want = new float[VH * 3 * 14 * 14];
            for (int r = 0; r < VH * 3; r++) System.arraycopy(whole, (2 * r + t) * 196, want, r * 196, 196);
            assertArrayEquals(TinyModel.expected(want, p.type()), read(mm, p), p.name());
        }
        // qkv in thirds, weight and bias
        float[] qkv = src.get("visual.blocks.0.attn.qkv.weight").values();
        float[] qkvBias = src.get("visual.blocks.0.attn.qkv.bias").values();
        String[] parts = {"q", "k", "v"};
        for (int i = 0; i < 3; i++) {
            GgufTensorInfo w = mm.tensor("v.blk.0.attn_" + parts[i] + ".weight");
            assertArrayEquals(new long[] {VH, VH}, w.dims());
            float[] rows = java.util.Arrays.copyOfRange(qkv, i * VH * VH, (i + 1) * VH * VH);
            assertEquals(ft == GgmlType.Q8_0 ? GgmlType.Q8_0 : ft, w.type());
            assertArrayEquals(TinyModel.expected(rows, w.type()), read(mm, w), w.name());
            GgufTensorInfo b = mm.tensor("v.blk.0.attn_" + parts[i] + ".bias");
            assertEquals(GgmlType.F32, b.type());
            assertArrayEquals(TinyModel.expected(java.util.Arrays.copyOfRange(qkvBias, i * VH, (i + 1) * VH), GgmlType.F32), read(mm, b));
        }
        GgufTensorInfo down = mm.tensor("v.blk.0.ffn_down.weight");
        assertArrayEquals(new long[] {VFF, VH}, down.dims());
        assertEquals(ft, down.type(), "rows of 64 quantize to Q8_0");
        assertArrayEquals(TinyModel.expected(src.get("visual.blocks.0.mlp.down_proj.weight").values(), down.type()), read(mm, down));
        assertEquals(GgmlType.F32, mm.tensor("v.post_ln.weight").type());
    }

    // ---- a tiny Qwen2.5-VL on disk -------------------------------------------------------------------------

    static ObjectNode config() throws IOException {
        return (ObjectNode) JSON.readTree("""
                {"architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
                 "num_hidden_layers": 1, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "max_position_embeddings": 128000, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
                 "vocab_size": 65600, "tie_word_embeddings": true,
                 "rope_scaling": {"type": "mrope", "mrope_section": [2, 3, 3]},
                 "vision_config": {"depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2, "in_chans": 3,
                   "out_hidden_size": 64, "patch_size": 14, "spatial_merge_size": 2, "window_size": 112,
                   "fullatt_block_indexes": [1], "temporal_patch_size": 2}}""");
    }

    static ObjectNode preprocessor() throws IOException {
        return (ObjectNode) JSON.readTree("""
                {"image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
                 "patch_size": 14, "merge_size": 2, "temporal_patch_size": 2}""");
    }

    Path model(Map<String, TinyModel.Src> byName) throws IOException {
        Random r = new Random(7);
        List<TinyModel.Src> t = new ArrayList<>();
        String l = "model.layers.0.";
        t.add(TinyModel.src(r, "model.embed_tokens.weight", "BF16", 65600, 64));
        t.add(TinyModel.src(r, "model.norm.weight", "BF16", 64));
        t.add(TinyModel.src(r, l + "input_layernorm.weight", "BF16", 64));
        t.add(TinyModel.src(r, l + "post_attention_layernorm.weight", "BF16", 64));
        t.add(TinyModel.src(r, l + "self_attn.q_proj.weight", "BF16", 64, 64));
        t.add(TinyModel.src(r, l + "self_attn.q_proj.bias", "BF16", 64));
        t.add(TinyModel.src(r, l + "self_attn.k_proj.weight", "BF16", 32, 64));
        t.add(TinyModel.src(r, l + "self_attn.k_proj.bias", "BF16", 32));
        t.add(TinyModel.src(r, l + "self_attn.v_proj.weight", "BF16", 32, 64));
        t.add(TinyModel.src(r, l + "self_attn.v_proj.bias", "BF16", 32));
        t.add(TinyModel.src(r, l + "self_attn.o_proj.weight", "BF16", 64, 64));
        t.add(TinyModel.src(r, l + "mlp.gate_proj.weight", "BF16", 128, 64));
        t.add(TinyModel.src(r, l + "mlp.up_proj.weight", "BF16", 128, 64));
        t.add(TinyModel.src(r, l + "mlp.down_proj.weight", "BF16", 64, 128));
        t.add(TinyModel.src(r, "visual.patch_embed.proj.weight", "BF16", VH, 3, 2, 14, 14));
        String b = "visual.blocks.0.";
        t.add(TinyModel.src(r, b + "norm1.weight", "BF16", VH));
        t.add(TinyModel.src(r, b + "norm2.weight", "BF16", VH));
        t.add(TinyModel.src(r, b + "attn.qkv.weight", "BF16", 3 * VH, VH));
        t.add(TinyModel.src(r, b + "attn.qkv.bias", "BF16", 3 * VH));
        t.add(TinyModel.src(r, b + "attn.proj.weight", "BF16", VH, VH));
        t.add(TinyModel.src(r, b + "attn.proj.bias", "BF16", VH));
        t.add(TinyModel.src(r, b + "mlp.gate_proj.weight", "BF16", VFF, VH));
        t.add(TinyModel.src(r, b + "mlp.gate_proj.bias", "BF16", VFF));
        t.add(TinyModel.src(r, b + "mlp.up_proj.weight", "BF16", VFF, VH));
        t.add(TinyModel.src(r, b + "mlp.up_proj.bias", "BF16", VFF));
        t.add(TinyModel.src(r, b + "mlp.down_proj.weight", "BF16", VH, VFF));
        t.add(TinyModel.src(r, b + "mlp.down_proj.bias", "BF16", VH));
        t.add(TinyModel.src(r, "visual.merger.ln_q.weight", "BF16", VH));
        t.add(TinyModel.src(r, "visual.merger.mlp.0.weight", "BF16", 4 * VH, 4 * VH));
        t.add(TinyModel.src(r, "visual.merger.mlp.0.bias", "BF16", 4 * VH));
        t.add(TinyModel.src(r, "visual.merger.mlp.2.weight", "BF16", 64, 4 * VH));
        t.add(TinyModel.src(r, "visual.merger.mlp.2.bias", "BF16", 64));
        for (TinyModel.Src s : t) byName.put(s.name(), s);
        Path dir = TinyModel.write(tmp.resolve("Tiny-VL"), "Qwen2_5_VLForConditionalGeneration", t);
        Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(config()));
        Files.write(dir.resolve("preprocessor_config.json"), JSON.writeValueAsBytes(preprocessor()));
        return dir;
    }

    static byte[] read(GgufFile g, GgufTensorInfo t) throws IOException {
        byte[] b = new byte[(int) t.bytes()];
        try (RandomAccessFile f = new RandomAccessFile(g.path().toFile(), "r")) {
            f.seek(g.dataOffset() + t.offset());
            f.readFully(b);
        }
        return b;
    }
}
