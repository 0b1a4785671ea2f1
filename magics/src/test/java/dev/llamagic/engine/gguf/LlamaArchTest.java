package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.UserError;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlamaArchTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void permutationInterleavesEachHeadsHalves() throws Exception {
        // 2 heads of 4 rows: head rows [a0 a1 b0 b1] (first half a, second half b) → [a0 b0 a1 b1]
        assertArrayEquals(new int[] {0, 2, 1, 3, 4, 6, 5, 7}, LlamaArch.permutation(8, 2));
        JsonNode c = JSON.readTree("{\"num_attention_heads\": 4, \"num_key_value_heads\": 2}");
        LlamaArch a = new LlamaArch();
        // k uses the kv head count, q the head count; other tensors stay in place
        assertArrayEquals(LlamaArch.permutation(32, 2), a.rowOrder("model.layers.0.self_attn.k_proj.weight", 32, c));
        assertArrayEquals(LlamaArch.permutation(64, 4), a.rowOrder("model.layers.0.self_attn.q_proj.bias", 64, c));
        assertEquals(null, a.rowOrder("model.layers.0.self_attn.v_proj.weight", 32, c));
        assertThrows(UserError.class, () -> LlamaArch.permutation(30, 4));
    }

    @Test
    void llama3RopeFactors() throws Exception {
        JsonNode c = JSON.readTree("{\"hidden_size\": 64, \"num_attention_heads\": 4, \"head_dim\": 16, \"rope_theta\": 500000.0,"
                + " \"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 48, \"rope_type\": \"llama3\"}}");
        List<Arch.Extra> x = new LlamaArch().extraTensors(c);
        assertEquals(1, x.size());
        assertEquals("rope_freqs.weight", x.get(0).name());
        float[] f = x.get(0).data();
        assertEquals(8, f.length);
        assertEquals(1f, f[0]);          // wavelength 2π < 48 / 4
        assertTrue(f[1] > 1 && f[1] < 8); // between: smoothed
        assertEquals(8f, f[7]);          // long wavelengths: the full factor
        assertTrue(new LlamaArch().extraTensors(JSON.readTree("{\"rope_scaling\": null}")).isEmpty());
    }

    @Test
    void sentencePieceModelIsReadWithoutTheLibrary() {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        piece(m, "<unk>", 0f, 2);
        piece(m, "\u2581the", -1.5f, 1);
        piece(m, "<0x0A>", 0f, 6);
        // a trainer spec (field 2) to skip
        m.writeBytes(new byte[] {0x12, 0x02, 0x18, 0x02});
        SentencePieceModel sp = SentencePieceModel.parse(ByteBuffer.wrap(m.toByteArray()).order(ByteOrder.LITTLE_ENDIAN));
        assertEquals(List.of(new SentencePieceModel.Piece("<unk>", 0f, 2), new SentencePieceModel.Piece("\u2581the", -1.5f, 1),
                new SentencePieceModel.Piece("<0x0A>", 0f, 6)), sp.pieces());
        assertThrows(RuntimeException.class,
                () -> SentencePieceModel.parse(ByteBuffer.wrap(new byte[] {0x0a, (byte) 0xff, 0x0f})));
    }

    /** One SentencePiece message; the type omitted when NORMAL, as protobuf does. */
    private static void piece(ByteArrayOutputStream out, String text, float score, int type) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        p.write(0x0a);
        p.write(t.length);
        p.writeBytes(t);
        p.write(0x15);
        p.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(score).array());
        if (type != 1) {
            p.write(0x18);
            p.write(type);
        }
        out.write(0x0a);
        out.write(p.size());
        out.writeBytes(p.toByteArray());
    }
}
