package dev.llamagic.engine.serve;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes small GGUF headers (metadata only) for tests. */
final class GgufFiles {
    private GgufFiles() {}

    static Path write(Path file, Map<String, Object> kv) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write("GGUF".getBytes(StandardCharsets.US_ASCII));
        u32(out, 3);
        u64(out, 0);
        u64(out, kv.size() + 1);
        // an array of strings
        str(out, "tokenizer.ggml.tokens");
        u32(out, 9);
        u32(out, 8);
        u64(out, 3);
        str(out, "a");
        str(out, "bb");
        str(out, "ccc");
        for (Map.Entry<String, Object> e : kv.entrySet()) {
            str(out, e.getKey());
            Object v = e.getValue();
            if (v instanceof String s) {
                u32(out, 8);
                str(out, s);
            } else if (v instanceof Integer i) {
                u32(out, 4);
                u32(out, i);
            } else if (v instanceof Float f) {
                u32(out, 6);
                u32(out, Float.floatToIntBits(f));
            } else {
                throw new IllegalArgumentException(String.valueOf(v));
            }
        }
        Files.write(file, out.toByteArray());
        return file;
    }

    private static void u32(ByteArrayOutputStream o, int v) {
        o.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private static void u64(ByteArrayOutputStream o, long v) {
        o.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    private static void str(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(o, b.length);
        o.writeBytes(b);
    }

    static Map<String, Object> qwen3_4b() {
        return Map.of("general.architecture", "qwen3", "qwen3.block_count", 36, "qwen3.context_length", 40960,
                "qwen3.embedding_length", 2560, "qwen3.attention.head_count", 32, "qwen3.attention.head_count_kv", 8,
                "qwen3.attention.key_length", 128, "qwen3.attention.value_length", 128, "general.name", "Qwen3 4B");
    }
}
