package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * One Hugging Face architecture llamagic converts: its GGUF architecture name, the hyper-parameter keys it
 * writes and its tensor names. One small subclass per family, as llama.cpp's converter has one class each.
 * <p>
 * Adding an architecture: one public subclass with a no-argument constructor (see {@link Qwen3Arch}), one line
 * naming it in {@code META-INF/services/dev.llamagic.engine.gguf.Arch}, and its test beside the others.
 */
public abstract class Arch {

    /** Every architecture llamagic converts itself (found by {@link ServiceLoader}), in the services file's order. */
    public static List<Arch> all() {
        return Registered.ALL;
    }

    /** Loaded once, on first use. */
    private static final class Registered {
        static final List<Arch> ALL = ServiceLoader.load(Arch.class, Arch.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get).toList();
    }

    /** The Hugging Face class names this handles, e.g. {@code Qwen3ForCausalLM}. */
    public abstract List<String> hfNames();

    /** The GGUF architecture, e.g. {@code qwen3}. */
    public abstract String ggufName();

    /** The architecture that converts config.json's {@code architectures[0]}, or null. */
    public static Arch find(String hfName) {
        for (Arch a : all()) if (a.hfNames().contains(hfName)) return a;
        return null;
    }

    /** The vision tower this architecture converts into a projector GGUF ({@code mmproj-*.gguf}), or null (text only). */
    public VisionTower vision() {
        return null;
    }

    /** The GGUF tensor name for a Hugging Face tensor, or null when llama.cpp's converter drops it. */
    public String tensorName(String hf) {
        if (hf.endsWith(".rotary_emb.inv_freq") || hf.endsWith(".attention.masked_bias") || hf.endsWith(".attention.bias")) return null;
        switch (hf) {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
            default: break;
        }
        if (hf.startsWith("model.layers.")) {
            String rest = hf.substring("model.layers.".length());
            int dot = rest.indexOf('.');
            if (dot > 0) {
                String block = rest.substring(0, dot);
                String module = rest.substring(dot + 1);
                int last = module.lastIndexOf('.');
                String suffix = module.substring(last); // .weight / .bias
                String mapped = layerTensor(module.substring(0, last));
                if (mapped != null) return "blk." + block + "." + mapped + suffix;
            }
        }
        throw new ConvertError(ConvertError.Reason.TENSOR, "tensor " + hf + " is not one llamagic knows for " + ggufName() + "{advice}");
    }

    /** A tensor the converter makes itself (written before the model's own, as llama.cpp's converter does). */
    public record Extra(String name, float[] data) {}

    /** Tensors this architecture generates from config.json (none by default). */
    public List<Extra> extraTensors(JsonNode config) {
        return List.of();
    }

    /**
     * How a tensor's rows are reordered on the way to GGUF: {@code result[r]} is the source row of output row
     * {@code r}; null when the rows stay in place (the default).
     */
    public int[] rowOrder(String hfName, long rows, JsonNode config) {
        return null;
    }

    /** The tokenizer keys (by default: a Hugging Face fast BPE tokenizer.json). */
    public void vocab(Path dir, JsonNode config, Map<String, GgufValue> kv) throws IOException {
        TokenizerExport.export(dir, config, kv);
    }

    /** Whether this architecture handles a rope scaling type itself (beyond linear and yarn). */
    protected boolean handlesRopeType(String type) {
        return false;
    }

    /** Per-layer module → GGUF name (without block prefix and suffix), or null if unknown. */
    protected String layerTensor(String module) {
        return switch (module) {
            case "input_layernorm" -> "attn_norm";
            case "self_attn.q_proj" -> "attn_q";
            case "self_attn.k_proj" -> "attn_k";
            case "self_attn.v_proj" -> "attn_v";
            case "self_attn.o_proj" -> "attn_output";
            case "post_attention_layernorm" -> "ffn_norm";
            case "mlp.gate_proj" -> "ffn_gate";
            case "mlp.up_proj" -> "ffn_up";
            case "mlp.down_proj" -> "ffn_down";
            default -> null;
        };
    }

    /** The architecture's hyper-parameters, as TextModel.set_gguf_parameters writes them. */
    public void parameters(JsonNode c, Map<String, GgufValue> kv, int fileType) {
        String a = ggufName() + ".";
        kv.put(a + "block_count", GgufValue.u32(blockCount(c)));
        JsonNode v;
        if ((v = first(c, "max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length", "model_max_length")) != null) {
            kv.put(a + "context_length", GgufValue.u32(v.asLong()));
        }
        if ((v = first(c, "hidden_size", "n_embd", "dim")) != null) kv.put(a + "embedding_length", GgufValue.u32(v.asLong()));
        if ((v = first(c, "prefix_dense_intermediate_size", "dense_intermediate_size", "intermediate_size", "n_inner", "hidden_dim")) != null) {
            kv.put(a + "feed_forward_length", GgufValue.u32(v.asLong()));
        }
        if ((v = first(c, "num_attention_heads", "n_head", "n_heads")) != null) kv.put(a + "attention.head_count", GgufValue.u32(v.asLong()));
        if ((v = first(c, "num_key_value_heads", "n_kv_heads")) != null) kv.put(a + "attention.head_count_kv", GgufValue.u32(v.asLong()));
        if (c.has("is_causal") && !c.get("is_causal").asBoolean(true)) kv.put(a + "attention.causal", GgufValue.bool(false));
        JsonNode rope = ropeConfig(c);
        if (rope != null) {
            String type = ropeType(rope);
            JsonNode factor = rope.get("factor");
            if ("linear".equals(type) && factor != null) {
                kv.put(a + "rope.scaling.type", GgufValue.string("linear"));
                kv.put(a + "rope.scaling.factor", GgufValue.f32(factor.asDouble()));
            } else if ("yarn".equals(type) && factor != null) {
                kv.put(a + "rope.scaling.type", GgufValue.string("yarn"));
                kv.put(a + "rope.scaling.factor", GgufValue.f32(factor.asDouble()));
                kv.put(a + "rope.scaling.original_context_length", GgufValue.u32(rope.path("original_max_position_embeddings").asLong()));
                if (rope.has("extrapolation_factor")) kv.put(a + "rope.scaling.yarn_ext_factor", GgufValue.f32(rope.get("extrapolation_factor").asDouble()));
                JsonNode af = rope.has("attention_factor") ? rope.get("attention_factor") : rope.get("attn_factor");
                if (af != null) kv.put(a + "rope.scaling.yarn_attn_factor", GgufValue.f32(af.asDouble()));
                if (rope.has("beta_fast")) kv.put(a + "rope.scaling.yarn_beta_fast", GgufValue.f32(rope.get("beta_fast").asDouble()));
                if (rope.has("beta_slow")) kv.put(a + "rope.scaling.yarn_beta_slow", GgufValue.f32(rope.get("beta_slow").asDouble()));
            } else if (type != null && !"default".equals(type) && !handlesRopeType(type)) {
                throw new ConvertError(ConvertError.Reason.ROPE_SCALING, "config.json's rope scaling type " + type
                        + " is not supported by llamagic's converter{advice}");
            }
        }
        JsonNode theta = first(c, "global_rope_theta", "rope_global_theta", "rope_theta_global", "rope_theta", "rotary_emb_base");
        if (theta == null && rope != null) theta = rope.get("rope_theta");
        if (theta != null) kv.put(a + "rope.freq_base", GgufValue.f32(theta.asDouble()));
        if ((v = first(c, "rms_norm_eps", "norm_eps")) != null) kv.put(a + "attention.layer_norm_rms_epsilon", GgufValue.f32(v.asDouble()));
        if ((v = first(c, "layer_norm_eps", "layer_norm_epsilon", "norm_epsilon")) != null) kv.put(a + "attention.layer_norm_epsilon", GgufValue.f32(v.asDouble()));
        Long headDim = configHeadDim(c);
        if (headDim != null) {
            kv.put(a + "attention.key_length", GgufValue.u32(headDim));
            kv.put(a + "attention.value_length", GgufValue.u32(headDim));
        }
        kv.put("general.file_type", GgufValue.u32(fileType));
    }

    /**
     * The head_dim llama.cpp's converter sees: it reads config.json through transformers' config class, which fills
     * in defaults; by default only config.json's own value counts.
     */
    protected Long configHeadDim(JsonNode c) {
        return c.has("head_dim") && !c.get("head_dim").isNull() ? c.get("head_dim").asLong() : null;
    }

    /** config.json's RoPE parameters ({@code rope_parameters}, else {@code rope_scaling}; full attention's), or null. */
    static JsonNode ropeConfig(JsonNode c) {
        JsonNode rope = c.has("rope_parameters") && !c.get("rope_parameters").isNull() ? c.get("rope_parameters") : c.get("rope_scaling");
        if (rope == null || !rope.isObject()) return null;
        return rope.has("full_attention") ? rope.get("full_attention") : rope;
    }

    /** The RoPE type of {@link #ropeConfig}'s result ({@code rope_type}, else the older {@code type}), or null. */
    static String ropeType(JsonNode rope) {
        return rope.has("rope_type") ? rope.get("rope_type").asText() : rope.path("type").asText(null);
    }

    public static int blockCount(JsonNode c) {
        JsonNode v = first(c, "n_layers", "num_hidden_layers", "n_layer", "num_layers");
        if (v == null) throw new dev.llamagic.core.UserError("config.json has no num_hidden_layers");
        return v.asInt();
    }

    /** The first of {@code keys} present (and not null) in {@code c}. */
    static JsonNode first(JsonNode c, String... keys) {
        for (String k : keys) {
            JsonNode v = c.get(k);
            if (v != null && !v.isNull()) return v;
        }
        return null;
    }
}
