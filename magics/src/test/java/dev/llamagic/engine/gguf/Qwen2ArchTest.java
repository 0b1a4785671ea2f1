package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.UserError;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Qwen2ArchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void isRegisteredUnderItsHuggingFaceName() {
        assertInstanceOf(Qwen2Arch.class, Arch.find("Qwen2ForCausalLM"));
        assertEquals("qwen2", new Qwen2Arch().ggufName());
    }

    @Test
    void keepsTheBiasesAndKnowsNoPerHeadNorms() {
        Qwen2Arch a = new Qwen2Arch();
        assertEquals("blk.0.attn_q.bias", a.tensorName("model.layers.0.self_attn.q_proj.bias"));
        assertEquals("blk.0.attn_v.bias", a.tensorName("model.layers.0.self_attn.v_proj.bias"));
        assertEquals("blk.5.ffn_norm.weight", a.tensorName("model.layers.5.post_attention_layernorm.weight"));
        assertThrows(UserError.class, () -> a.tensorName("model.layers.0.self_attn.q_norm.weight"), "a Qwen3 tensor");
        assertNull(a.rowOrder("model.layers.0.self_attn.q_proj.weight", 64, JSON.createObjectNode()), "rows stay in place");
    }

    @Test
    void withoutHeadDimInTheConfigNoKeyLengthIsWritten() throws Exception {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        new Qwen2Arch().parameters(JSON.readTree("""
                {"num_hidden_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}}"""), kv, 0);
        assertFalse(kv.containsKey("qwen2.attention.key_length"), "as llama.cpp: only config.json's own head_dim");
        assertEquals("yarn", kv.get("qwen2.rope.scaling.type").asString());
        assertEquals(32768L, kv.get("qwen2.rope.scaling.original_context_length").asLong());
        UserError e = assertThrows(UserError.class, () -> new Qwen2Arch().parameters(
                JSON.readTree("{\"num_hidden_layers\": 1, \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8}}"), kv, 0));
        assertTrue(e.getMessage().startsWith("config.json's rope scaling type llama3 is not supported"), e.getMessage());
    }
}
