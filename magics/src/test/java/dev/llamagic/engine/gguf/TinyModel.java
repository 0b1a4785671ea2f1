package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A tiny Qwen3 or Llama model written byte by byte (safetensors header + data in plain Java), with the values of
 * every tensor kept, so a test can say what the GGUF must hold.
 */
public final class TinyModel {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyModel() {}

    public static final int HIDDEN = 32;
    public static final int HEADS = 2;
    public static final int KV_HEADS = 1;
    public static final int HEAD_DIM = 16;
    /** The FFN width: down_proj's rows are 48 long, which Q8_0 blocks of 32 do not divide (F16 instead). */
    public static final int FFN = 48;
    /** embed_tokens has VOCAB × HIDDEN > {@link HfConverter#CHUNK} elements: converted in two chunks. */
    public static final int VOCAB = 65600;

    /** A source tensor: its values (as the source dtype holds them) and the dtype written. */
    public record Src(String name, long[] shape, String dtype, float[] values) {}

    // ---- a model on disk -------------------------------------------------------------------------------

    public static List<Src> tensors(String arch, String matrixDtype) {
        Random r = new Random(42);
        List<Src> t = new ArrayList<>();
        t.add(src(r, "model.embed_tokens.weight", matrixDtype, VOCAB, HIDDEN));
        t.add(src(r, "model.norm.weight", "F32", HIDDEN));
        String l = "model.layers.0.";
        t.add(src(r, l + "input_layernorm.weight", "F32", HIDDEN));
        t.add(src(r, l + "post_attention_layernorm.weight", "F32", HIDDEN));
        t.add(src(r, l + "self_attn.q_proj.weight", matrixDtype, HEADS * HEAD_DIM, HIDDEN));
        t.add(src(r, l + "self_attn.k_proj.weight", matrixDtype, KV_HEADS * HEAD_DIM, HIDDEN));
        t.add(src(r, l + "self_attn.v_proj.weight", matrixDtype, KV_HEADS * HEAD_DIM, HIDDEN));
        t.add(src(r, l + "self_attn.o_proj.weight", matrixDtype, HIDDEN, HEADS * HEAD_DIM));
        t.add(src(r, l + "mlp.gate_proj.weight", matrixDtype, FFN, HIDDEN));
        t.add(src(r, l + "mlp.up_proj.weight", matrixDtype, FFN, HIDDEN));
        t.add(src(r, l + "mlp.down_proj.weight", matrixDtype, HIDDEN, FFN));
        if (arch.equals("Qwen3ForCausalLM")) {
            t.add(src(r, l + "self_attn.q_norm.weight", "F32", HEAD_DIM));
            t.add(src(r, l + "self_attn.k_norm.weight", "F32", HEAD_DIM));
        }
        // llama.cpp's converter drops it; so must we
        t.add(src(r, l + "self_attn.rotary_emb.inv_freq", "F32", HEAD_DIM / 2));
        return t;
    }

    /** Random values of varied size, rounded to what {@code dtype} can hold so that the source is exact. */
    public static Src src(Random r, String name, String dtype, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            float x = (float) (r.nextGaussian() * (i % 7 == 0 ? 2.0 : 0.05));
            v[i] = switch (dtype) {
                case "BF16" -> GgmlType.bf16ToF32(GgmlType.f32ToBf16(x));
                case "F16" -> GgmlType.f16ToF32(GgmlType.f32ToF16(x));
                default -> x;
            };
        }
        return new Src(name, shape, dtype, v);
    }

    public static byte[] encode(float[] v, String dtype) {
        int size = switch (dtype) {
            case "F32" -> 4;
            case "I64" -> 8;
            default -> 2;
        };
        ByteBuffer b = ByteBuffer.allocate(v.length * size).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            switch (dtype) {
                case "F32" -> b.putFloat(x);
                case "F16" -> b.putShort(GgmlType.f32ToF16(x));
                case "BF16" -> b.putShort(GgmlType.f32ToBf16(x));
                case "I64" -> b.putLong((long) x);
                default -> throw new IllegalArgumentException(dtype);
            }
        }
        return b.array();
    }

    /** What the GGUF must hold for {@code v} as {@code type}, computed with the (separately tested) scalar kernels. */
    static byte[] expected(float[] v, GgmlType type) {
        return switch (type) {
            case F32 -> encode(v, "F32");
            case F16 -> encode(v, "F16");
            case BF16 -> encode(v, "BF16");
            case Q8_0 -> {
                byte[] q = new byte[v.length / 32 * 34];
                for (int b = 0; b < v.length / 32; b++) GgmlType.quantizeQ8_0(v, b * 32, q, b * 34);
                yield q;
            }
            default -> throw new IllegalArgumentException(type.name());
        };
    }

    /** A safetensors file as the format defines it: u64 header length, JSON header (space-padded to 8), data. */
    static void writeSafetensors(Path f, List<Src> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Src t : tensors) {
            byte[] bytes = encode(t.values(), t.dtype());
            ObjectNode e = header.putObject(t.name());
            e.put("dtype", t.dtype());
            var shape = e.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            e.putArray("data_offsets").add(data.size()).add(data.size() + bytes.length);
            data.write(bytes);
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(len.array());
        file.write(h);
        for (int i = h.length; i < padded; i++) file.write(' ');
        data.writeTo(file);
        Files.write(f, file.toByteArray());
    }

    /** Writes a model directory: config.json, tokenizer.json, model.safetensors with {@code tensors}. */
    public static Path write(Path dir, String arch, List<Src> tensors) throws IOException {
        Files.createDirectories(dir);
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(arch);
        c.put("num_hidden_layers", 1).put("hidden_size", HIDDEN).put("intermediate_size", FFN)
                .put("num_attention_heads", HEADS).put("num_key_value_heads", KV_HEADS).put("head_dim", HEAD_DIM)
                .put("max_position_embeddings", 4096).put("rope_theta", 1000000.0).put("rms_norm_eps", 1e-6)
                .put("vocab_size", VOCAB).put("tie_word_embeddings", true);
        Files.write(dir.resolve("config.json"), JSON.writeValueAsBytes(c));
        ObjectNode tok = JSON.createObjectNode();
        ObjectNode m = tok.putObject("model").put("type", "BPE");
        ObjectNode vocab = m.putObject("vocab");
        for (String s : List.of("a", "b", "c", "ab", "abc")) vocab.put(s, vocab.size());
        m.putArray("merges").add("a b").add("ab c");
        String regex = arch.equals("LlamaForCausalLM") ? TokenizerExport.LLAMA3_REGEX : TokenizerExport.QWEN2_REGEX;
        tok.putObject("pre_tokenizer").put("type", "Split").putObject("pattern").put("Regex", regex);
        tok.putArray("added_tokens").addObject().put("id", 5).put("content", "<|endoftext|>").put("special", true);
        Files.write(dir.resolve("tokenizer.json"), JSON.writeValueAsBytes(tok));
        writeSafetensors(dir.resolve("model.safetensors"), tensors);
        return dir;
    }

}
