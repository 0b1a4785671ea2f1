package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.UserError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Qwen3ArchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void isRegisteredUnderItsHuggingFaceName() {
        assertInstanceOf(Qwen3Arch.class, Arch.find("Qwen3ForCausalLM"));
        assertEquals("qwen3", new Qwen3Arch().ggufName());
    }

    @Test
    void tensorNamesAddThePerHeadNormsToTheLlamaLayout() {
        Qwen3Arch a = new Qwen3Arch();
        assertEquals("blk.3.attn_q_norm.weight", a.tensorName("model.layers.3.self_attn.q_norm.weight"));
        assertEquals("blk.3.attn_k_norm.weight", a.tensorName("model.layers.3.self_attn.k_norm.weight"));
        assertEquals("blk.0.attn_q.weight", a.tensorName("model.layers.0.self_attn.q_proj.weight"));
        assertEquals("blk.1.ffn_down.weight", a.tensorName("model.layers.1.mlp.down_proj.weight"));
        assertEquals("token_embd.weight", a.tensorName("model.embed_tokens.weight"));
        assertEquals("output_norm.weight", a.tensorName("model.norm.weight"));
        assertEquals("output.weight", a.tensorName("lm_head.weight"));
        assertNull(a.tensorName("model.layers.0.self_attn.rotary_emb.inv_freq"), "dropped, as llama.cpp");
        UserError e = assertThrows(UserError.class, () -> a.tensorName("model.layers.0.mlp.experts.0.w1.weight"));
        assertEquals("tensor model.layers.0.mlp.experts.0.w1.weight is not one llamagic knows for qwen3", e.getMessage().replaceFirst(" \\(.*", ""));
    }

    @Test
    void parametersAreTheConfigsWithHeadDim() throws Exception {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        new Qwen3Arch().parameters(JSON.readTree("""
                {"num_hidden_layers": 2, "max_position_embeddings": 40960, "hidden_size": 64, "intermediate_size": 192,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "rope_theta": 1000000,
                 "rms_norm_eps": 1e-6}"""), kv, 1);
        assertEquals(List.of("qwen3.block_count", "qwen3.context_length", "qwen3.embedding_length", "qwen3.feed_forward_length",
                "qwen3.attention.head_count", "qwen3.attention.head_count_kv", "qwen3.rope.freq_base",
                "qwen3.attention.layer_norm_rms_epsilon", "qwen3.attention.key_length", "qwen3.attention.value_length",
                "general.file_type"), List.copyOf(kv.keySet()));
        assertEquals(2L, kv.get("qwen3.block_count").asLong());
        assertEquals(16L, kv.get("qwen3.attention.key_length").asLong());
        assertEquals(1L, kv.get("general.file_type").asLong());
        assertFalse(kv.containsKey("qwen3.vocab_size"));
    }
}
