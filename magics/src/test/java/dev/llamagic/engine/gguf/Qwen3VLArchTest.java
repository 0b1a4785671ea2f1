package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Qwen3-VL: the language model as qwen3vl (q/k norms, RoPE sections, deepstack count), the tower's names and keys. */
class Qwen3VLArchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CONFIG = """
            {"architectures": ["Qwen3VLForConditionalGeneration"], "model_type": "qwen3_vl",
             "text_config": {"num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
               "num_key_value_heads": 2, "head_dim": 16, "max_position_embeddings": 262144, "rope_theta": 5000000,
               "rms_norm_eps": 1e-6, "rope_scaling": {"mrope_interleaved": true, "mrope_section": [2, 3, 3], "rope_type": "default"}},
             "vision_config": {"depth": 3, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2, "num_position_embeddings": 64,
               "patch_size": 16, "spatial_merge_size": 2, "deepstack_visual_indexes": [0, 2], "out_hidden_size": 64}}""";

    static Safetensors.Tensor t(String name, long... shape) {
        return new Safetensors.Tensor(name, "BF16", shape, Path.of("x"), 0, 0);
    }

    @Test
    void languageModelKeysAndNames() throws Exception {
        assertInstanceOf(Qwen3VLArch.class, Arch.find("Qwen3VLForConditionalGeneration"));
        Qwen3VLArch a = new Qwen3VLArch();
        assertEquals("blk.1.attn_q_norm.weight", a.tensorName("model.layers.1.self_attn.q_norm.weight"));
        assertNull(a.tensorName("model.visual.blocks.0.attn.qkv.weight"));
        assertNull(a.tensorName("model.visual.deepstack_merger_list.0.norm.weight"));
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        a.parameters(HfConverter.textConfig(JSON.readTree(CONFIG)), kv, 1);
        assertEquals(List.of(2L, 3L, 3L, 0L), kv.get("qwen3vl.rope.dimension_sections").list());
        assertEquals(2L, kv.get("qwen3vl.n_deepstack_layers").asLong());
        List<String> keys = List.copyOf(kv.keySet());
        assertEquals(keys.indexOf("qwen3vl.rope.freq_base") - 1, keys.indexOf("qwen3vl.rope.dimension_sections"));
        assertEquals("qwen3vl.n_deepstack_layers", keys.get(keys.size() - 1));
    }

    @Test
    void visionTowerNamesAndKeys() throws Exception {
        JsonNode c = JSON.readTree(CONFIG);
        Qwen3VLVision v = new Qwen3VLVision();
        assertEquals(List.of(), v.pieces(t("model.language_model.layers.0.mlp.up_proj.weight", 4, 4), c));
        assertEquals("v.blk.1.attn_qkv.weight", v.pieces(t("model.visual.blocks.1.attn.qkv.weight", 96, 32), c).get(0).name());
        assertEquals("v.blk.0.ffn_up.bias", v.pieces(t("model.visual.blocks.0.mlp.linear_fc1.bias", 64), c).get(0).name());
        assertEquals("v.blk.0.ln1.bias", v.pieces(t("model.visual.blocks.0.norm1.bias", 32), c).get(0).name());
        assertEquals("v.deepstack.2.fc1.weight", v.pieces(t("model.visual.deepstack_merger_list.1.linear_fc1.weight", 128, 128), c).get(0).name());
        assertEquals("v.post_ln.bias", v.pieces(t("model.visual.merger.norm.bias", 32), c).get(0).name());
        assertEquals("mm.2.weight", v.pieces(t("model.visual.merger.linear_fc2.weight", 64, 128), c).get(0).name());
        assertEquals("v.position_embd.weight", v.pieces(t("model.visual.pos_embed.weight", 64, 32), c).get(0).name());
        assertEquals("v.patch_embd.bias", v.pieces(t("model.visual.patch_embed.proj.bias", 32), c).get(0).name());
        List<VisionTower.Piece> patch = v.pieces(t("model.visual.patch_embed.proj.weight", 32, 3, 2, 16, 16), c);
        assertEquals(List.of("v.patch_embd.weight", "v.patch_embd.weight.1"), patch.stream().map(VisionTower.Piece::name).toList());
        assertEquals(GgmlType.F32, v.forcedType("v.position_embd.weight", GgmlType.F16));

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        v.parameters(c, JSON.readTree("{\"image_mean\": [0.5, 0.5, 0.5], \"image_std\": [0.5, 0.5, 0.5]}"), kv);
        assertEquals(128L, kv.get("clip.vision.image_size").asLong(), "sqrt(64) patches of 16");
        assertEquals("qwen3vl_merger", kv.get("clip.projector_type").asString());
        assertEquals(List.of(true, false, true), kv.get("clip.vision.is_deepstack_layers").list());
        assertEquals(List.of("clip.has_vision_encoder", "clip.vision.projection_dim", "clip.vision.image_size",
                "clip.vision.patch_size", "clip.vision.embedding_length", "clip.vision.feed_forward_length",
                "clip.vision.block_count", "clip.vision.attention.head_count", "clip.vision.image_mean", "clip.vision.image_std",
                "clip.projector_type", "clip.use_gelu", "clip.vision.spatial_merge_size",
                "clip.vision.attention.layer_norm_epsilon", "clip.vision.is_deepstack_layers"), List.copyOf(kv.keySet()));
    }
}
