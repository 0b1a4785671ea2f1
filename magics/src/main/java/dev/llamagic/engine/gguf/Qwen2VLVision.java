package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamagic.core.UserError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The vision tower of Qwen2-VL and Qwen2.5-VL, as llama.cpp's Qwen2VLVisionModel converts it: the Conv3D patch
 * embedding split into two Conv2D slices, each block's fused qkv split into q, k and v, the merger's RMS norm and
 * two-layer MLP as {@code v.post_ln} and {@code mm.0}/{@code mm.2}; projector type {@code qwen2.5vl_merger}
 * (with SiLU and the window-attention pattern) or {@code qwen2vl_merger}.
 */
public final class Qwen2VLVision extends VisionTower {

    @Override
    public List<Piece> pieces(Safetensors.Tensor t, JsonNode config) {
        String n = t.name();
        if (!n.startsWith("visual.")) return List.of();
        String rest = n.substring("visual.".length());
        if (rest.equals("patch_embed.proj.weight")) return splitTemporal(t, "v.patch_embd.weight");
        if (rest.startsWith("blocks.")) {
            String[] p = rest.split("\\.", 3); // blocks, N, module.suffix
            String module = p[2].substring(0, p[2].lastIndexOf('.'));
            String suffix = p[2].substring(p[2].lastIndexOf('.'));
            String prefix = "v.blk." + p[1] + ".";
            if (module.equals("attn.qkv")) return splitQkv(t, prefix, suffix);
            String mapped = switch (module) {
                case "norm1" -> "ln1";
                case "norm2" -> "ln2";
                case "attn.proj" -> "attn_out";
                case "mlp.fc1", "mlp.up_proj" -> "ffn_up";
                case "mlp.gate_proj" -> "ffn_gate";
                case "mlp.fc2", "mlp.down_proj" -> "ffn_down";
                default -> null;
            };
            if (mapped != null) return List.of(new Piece(prefix + mapped + suffix, t, null));
        }
        if (rest.startsWith("merger.ln_q.")) return List.of(new Piece("v.post_ln" + rest.substring("merger.ln_q".length()), t, null));
        if (rest.startsWith("merger.mlp.")) {
            String[] p = rest.split("\\.", 4); // merger, mlp, N, suffix
            return List.of(new Piece("mm." + p[2] + "." + p[3], t, null));
        }
        throw new ConvertError(ConvertError.Reason.TENSOR, "tensor " + n + " is not one llamagic knows for the Qwen-VL vision tower{advice}");
    }

    @Override
    public void parameters(JsonNode c, JsonNode pre, Map<String, GgufValue> kv) {
        JsonNode v = c.path("vision_config");
        boolean qwen2 = v.has("embed_dim"); // Qwen2-VL: embed_dim is the width, hidden_size the MLP's
        long width = qwen2 ? v.path("embed_dim").asLong() : v.path("hidden_size").asLong();
        long ff = qwen2 ? v.path("hidden_size").asLong() : v.path("intermediate_size").asLong();
        JsonNode text = HfConverter.textConfig(c);
        long nEmbdText = first(text, "hidden_size", "n_embd").asLong();
        kv.put("clip.has_vision_encoder", GgufValue.bool(true));
        kv.put("clip.vision.projection_dim", GgufValue.u32(nEmbdText));
        kv.put("clip.vision.image_size", GgufValue.u32(v.path("image_size").asLong(560)));
        kv.put("clip.vision.patch_size", GgufValue.u32(v.path("patch_size").asLong()));
        kv.put("clip.vision.embedding_length", GgufValue.u32(width));
        kv.put("clip.vision.feed_forward_length", GgufValue.u32(ff));
        kv.put("clip.vision.block_count", GgufValue.u32(v.path("depth").asLong()));
        kv.put("clip.vision.attention.head_count", GgufValue.u32(v.path("num_heads").asLong()));
        kv.put("clip.vision.image_mean", floats(pre, "image_mean"));
        kv.put("clip.vision.image_std", floats(pre, "image_std"));
        String modelType = c.path("model_type").asText("");
        switch (modelType) {
            case "qwen2_vl" -> kv.put("clip.projector_type", GgufValue.string("qwen2vl_merger"));
            case "qwen2_5_vl" -> {
                kv.put("clip.projector_type", GgufValue.string("qwen2.5vl_merger"));
                kv.put("clip.use_silu", GgufValue.bool(true));
                JsonNode full = v.get("fullatt_block_indexes");
                if (full == null || !full.isArray() || full.isEmpty()) {
                    throw new UserError("config.json's vision_config has no fullatt_block_indexes (Qwen2.5-VL needs them)");
                }
                int pattern = full.get(0).asInt() + 1;
                for (int i = 1; i < full.size(); i++) {
                    if (full.get(i).asInt() - full.get(i - 1).asInt() != pattern) {
                        throw new UserError("config.json's vision_config has irregular fullatt_block_indexes " + full);
                    }
                }
                kv.put("clip.vision.n_wa_pattern", GgufValue.u32(pattern));
            }
            default -> throw new UserError("config.json's model_type " + modelType + " is not a Qwen-VL model llamagic knows");
        }
        JsonNode eps = c.get("rms_norm_eps");
        kv.put("clip.vision.attention.layer_norm_epsilon", GgufValue.f32(eps != null && eps.isNumber() ? eps.asDouble() : 1e-6));
    }

    static GgufValue floats(JsonNode pre, String key) {
        JsonNode a = pre.get(key);
        if (a == null || !a.isArray()) throw new UserError("preprocessor_config.json has no " + key);
        List<Object> l = new ArrayList<>();
        for (JsonNode x : a) l.add((float) x.asDouble());
        return GgufValue.array(GgufValue.Type.FLOAT32, l);
    }
}
