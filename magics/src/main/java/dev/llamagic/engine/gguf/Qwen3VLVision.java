package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The vision tower of Qwen3-VL, as llama.cpp's Qwen3VLVisionModel converts it: the Conv3D patch embedding split
 * into two Conv2D slices (its bias kept), learned position embeddings, LayerNorms with biases, the fused qkv kept
 * whole, the merger as {@code v.post_ln} and {@code mm.0}/{@code mm.2}, and the deepstack mergers under the index of
 * the block they read ({@code v.deepstack.<block>.*}); projector type {@code qwen3vl_merger} with GELU.
 */
public final class Qwen3VLVision extends VisionTower {

    @Override
    public List<Piece> pieces(Safetensors.Tensor t, JsonNode config) {
        String n = t.name();
        if (n.startsWith("lm_head.") || n.startsWith("mtp.")) return List.of();
        if (n.startsWith("model.visual.")) n = "visual." + n.substring("model.visual.".length());
        if (!n.startsWith("visual.")) return List.of();
        String rest = n.substring("visual.".length());
        String suffix = rest.substring(rest.lastIndexOf('.'));
        if (rest.equals("patch_embed.proj.weight")) return splitTemporal(t, "v.patch_embd.weight");
        if (rest.equals("patch_embed.proj.bias")) return one("v.patch_embd.bias", t);
        if (rest.startsWith("pos_embed.")) return one("v.position_embd" + suffix, t);
        if (rest.startsWith("deepstack_merger_list.")) {
            String[] p = rest.split("\\.", 4); // deepstack_merger_list, K, module, suffix
            JsonNode indexes = config.path("vision_config").path("deepstack_visual_indexes");
            int k = Integer.parseInt(p[1]);
            if (k >= indexes.size()) throw new ConvertError(ConvertError.Reason.TENSOR, "tensor " + t.name()
                    + " has no entry in config.json's deepstack_visual_indexes{advice}");
            String part = switch (p[2]) {
                case "norm" -> "norm";
                case "linear_fc1" -> "fc1";
                case "linear_fc2" -> "fc2";
                default -> throw new ConvertError(ConvertError.Reason.TENSOR, "tensor " + t.name() + " is not one llamagic knows for the Qwen3-VL vision tower{advice}");
            };
            return one("v.deepstack." + indexes.get(k).asInt() + "." + part + "." + p[3], t);
        }
        if (rest.startsWith("merger.")) {
            String module = rest.substring("merger.".length(), rest.lastIndexOf('.'));
            String mapped = switch (module) {
                case "norm" -> "v.post_ln";
                case "linear_fc1" -> "mm.0";
                case "linear_fc2" -> "mm.2";
                default -> null;
            };
            if (mapped != null) return one(mapped + suffix, t);
        }
        if (rest.startsWith("blocks.")) {
            String[] p = rest.split("\\.", 3); // blocks, N, module.suffix
            String module = p[2].substring(0, p[2].lastIndexOf('.'));
            String mapped = switch (module) {
                case "norm1" -> "ln1";
                case "norm2" -> "ln2";
                case "attn.qkv" -> "attn_qkv";
                case "attn.proj" -> "attn_out";
                case "mlp.linear_fc1" -> "ffn_up";
                case "mlp.linear_fc2" -> "ffn_down";
                default -> null;
            };
            if (mapped != null) return one("v.blk." + p[1] + "." + mapped + suffix, t);
        }
        throw new ConvertError(ConvertError.Reason.TENSOR, "tensor " + t.name() + " is not one llamagic knows for the Qwen3-VL vision tower{advice}");
    }

    private static List<Piece> one(String name, Safetensors.Tensor t) {
        return List.of(new Piece(name, t, null));
    }

    @Override
    public void parameters(JsonNode c, JsonNode pre, Map<String, GgufValue> kv) {
        JsonNode v = c.path("vision_config");
        JsonNode text = HfConverter.textConfig(c);
        long patch = v.path("patch_size").asLong(16);
        long imageSize = v.has("image_size") ? v.get("image_size").asLong()
                : (long) (Math.sqrt(v.path("num_position_embeddings").asDouble(2304)) * patch);
        kv.put("clip.has_vision_encoder", GgufValue.bool(true));
        kv.put("clip.vision.projection_dim", GgufValue.u32(first(text, "hidden_size", "n_embd").asLong()));
        kv.put("clip.vision.image_size", GgufValue.u32(imageSize));
        kv.put("clip.vision.patch_size", GgufValue.u32(patch));
        kv.put("clip.vision.embedding_length", GgufValue.u32(v.path("hidden_size").asLong()));
        kv.put("clip.vision.feed_forward_length", GgufValue.u32(v.path("intermediate_size").asLong()));
        kv.put("clip.vision.block_count", GgufValue.u32(v.path("depth").asLong()));
        kv.put("clip.vision.attention.head_count", GgufValue.u32(v.path("num_heads").asLong()));
        kv.put("clip.vision.image_mean", Qwen2VLVision.floats(pre, "image_mean"));
        kv.put("clip.vision.image_std", Qwen2VLVision.floats(pre, "image_std"));
        kv.put("clip.projector_type", GgufValue.string("qwen3vl_merger"));
        kv.put("clip.use_gelu", GgufValue.bool(true));
        if (v.has("spatial_merge_size")) kv.put("clip.vision.spatial_merge_size", GgufValue.u32(v.get("spatial_merge_size").asLong()));
        JsonNode eps = c.path("text_config").get("rms_norm_eps");
        kv.put("clip.vision.attention.layer_norm_epsilon", GgufValue.f32(eps != null && eps.isNumber() ? eps.asDouble() : 1e-6));
        int depth = v.path("depth").asInt();
        if (depth > 0) {
            List<Object> deep = new ArrayList<>();
            for (int i = 0; i < depth; i++) deep.add(false);
            for (JsonNode i : v.path("deepstack_visual_indexes")) deep.set(i.asInt(), true);
            kv.put("clip.vision.is_deepstack_layers", GgufValue.array(GgufValue.Type.BOOL, deep));
        }
    }
}
