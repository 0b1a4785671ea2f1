package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Llama 2 and 3.x, as llama.cpp's LlamaModel converts them: q and k projections reordered from Hugging Face's
 * rotate-half RoPE layout to the interleaved pairs llama.cpp's {@code llama} architecture rotates, a
 * {@code rope_freqs} tensor for Llama 3.1+'s {@code llama3} RoPE scaling, the vocabulary size and RoPE dimension
 * count, and the tokenizer from a SentencePiece {@code tokenizer.model} (Llama 2) or else tokenizer.json
 * (Llama 3's BPE, pre-tokenizer {@code llama-bpe}).
 */
public final class LlamaArch extends Arch {
    @Override
    public List<String> hfNames() {
        return List.of("LlamaForCausalLM");
    }

    @Override
    public String ggufName() {
        return "llama";
    }

    @Override
    public void parameters(JsonNode c, Map<String, GgufValue> kv, int fileType) {
        super.parameters(c, kv, fileType);
        kv.put("llama.vocab_size", GgufValue.u32(c.path("vocab_size").asLong()));
        kv.put("llama.rope.dimension_count", GgufValue.u32(headDim(c)));
    }

    /** transformers' LlamaConfig sets head_dim = hidden_size / heads when config.json has none. */
    @Override
    protected Long configHeadDim(JsonNode c) {
        return headDim(c);
    }

    @Override
    protected boolean handlesRopeType(String type) {
        return type.toLowerCase(Locale.ROOT).equals("llama3");
    }

    @Override
    public void vocab(Path dir, JsonNode config, Map<String, GgufValue> kv) throws IOException {
        Path tcfgFile = dir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tcfgFile)) {
            JsonNode space = TokenizerExport.readJson(tcfgFile).get("add_prefix_space");
            if (space != null && space.isBoolean()) kv.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(space.asBoolean()));
        }
        if (Files.isRegularFile(dir.resolve("tokenizer.model"))) {
            TokenizerExport.exportSentencePiece(dir, config, kv);
        } else {
            TokenizerExport.export(dir, config, kv);
        }
        // granite's small models (vocabulary 49152) do not add a BOS token
        if (config.path("vocab_size").asInt(32000) == 49152) kv.put("tokenizer.ggml.add_bos_token", GgufValue.bool(false));
    }

    /** q_proj and k_proj (weights and biases): each head's rows [first half, second half] → interleaved pairs. */
    @Override
    public int[] rowOrder(String hfName, long rows, JsonNode c) {
        boolean q = hfName.endsWith("self_attn.q_proj.weight") || hfName.endsWith("self_attn.q_proj.bias");
        boolean k = hfName.endsWith("self_attn.k_proj.weight") || hfName.endsWith("self_attn.k_proj.bias");
        if (!q && !k) return null;
        int heads = heads(c);
        JsonNode kv = first(c, "n_kv_heads", "num_key_value_heads");
        if (k && kv != null && kv.asInt() != heads) heads = kv.asInt();
        return permutation(rows, heads);
    }

    /** llama.cpp's LlamaModel.permute as a row order: output row (h, i, j) takes source row (h, j, i). */
    static int[] permutation(long rows, int heads) {
        if (heads <= 0 || rows % (2L * heads) != 0) {
            throw new dev.llamagic.core.UserError("a q/k projection with " + rows + " rows does not split into "
                    + heads + " heads of pairs: config.json's head counts do not match the weights");
        }
        int half = (int) (rows / heads / 2);
        int[] order = new int[(int) rows];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    order[h * 2 * half + i * 2 + j] = h * 2 * half + j * half + i;
                }
            }
        }
        return order;
    }

    /** Llama 3.1+'s {@code llama3} RoPE scaling: one frequency factor per rotated pair, as llama.cpp's converter computes it. */
    @Override
    public List<Extra> extraTensors(JsonNode c) {
        JsonNode rope = ropeConfig(c);
        if (rope == null || !handlesRopeType(String.valueOf(ropeType(rope)))) return List.of();
        JsonNode thetaNode = rope.has("rope_theta") ? rope.get("rope_theta") : c.get("rope_theta");
        double base = thetaNode != null && !thetaNode.isNull() ? thetaNode.asDouble() : 10000.0;
        int dim = (int) headDim(c);
        float factor = (float) rope.path("factor").asDouble(8.0);
        float low = (float) rope.path("low_freq_factor").asDouble(1.0);
        float high = (float) rope.path("high_freq_factor").asDouble(4.0);
        float oldContext = (float) rope.path("original_max_position_embeddings").asDouble(8192);
        float lowWavelen = oldContext / low;
        float highWavelen = oldContext / high;
        float[] factors = new float[dim / 2];
        for (int i = 0; i < dim / 2; i++) {
            float freq = (float) (1.0 / (float) Math.pow(base, (float) (2 * i) / dim));
            // float32 arithmetic throughout, scalars rounded to float32 first, as torch computes it in the converter
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWavelen) {
                factors[i] = 1;
            } else if (wavelen > lowWavelen) {
                factors[i] = factor;
            } else {
                float smooth = (oldContext / wavelen - low) / (high - low);
                factors[i] = 1 / ((1 - smooth) / factor + smooth);
            }
        }
        return List.of(new Extra("rope_freqs.weight", factors));
    }

    private static long headDim(JsonNode c) {
        JsonNode hd = c.get("head_dim");
        if (hd != null && !hd.isNull()) return hd.asLong();
        return c.path("hidden_size").asLong() / heads(c);
    }

    private static int heads(JsonNode c) {
        JsonNode n = first(c, "n_heads", "num_attention_heads");
        if (n == null || n.asInt() <= 0) throw new dev.llamagic.core.UserError("config.json has no num_attention_heads");
        return n.asInt();
    }
}
