package dev.llamagic.serve;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metadata of a GGUF file (scalars and strings; arrays are skipped), enough to check that a file really
 * is GGUF before launching a server on it and to size its KV cache. Not a general GGUF reader.
 */
public final class GgufHeader {
    private final int version;
    private final long tensorCount;
    private final Map<String, Object> values;

    private GgufHeader(int version, long tensorCount, Map<String, Object> values) {
        this.version = version;
        this.tensorCount = tensorCount;
        this.values = values;
    }

    /** Whether the file starts with the GGUF magic bytes. */
    public static boolean isGguf(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] m = in.readNBytes(4);
            return m.length == 4 && m[0] == 'G' && m[1] == 'G' && m[2] == 'U' && m[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    public static GgufHeader read(Path file) throws IOException {
        try (LE in = new LE(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            int magic = in.u32();
            if (magic != 0x46554747) throw new IOException(file + " is not a GGUF file (bad magic)");
            int version = in.u32();
            if (version < 2 || version > 3) throw new IOException(file + ": unsupported GGUF version " + version);
            long tensors = in.u64();
            long kvs = in.u64();
            if (kvs < 0 || kvs > 1_000_000) throw new IOException(file + ": implausible metadata count " + kvs);
            Map<String, Object> values = new LinkedHashMap<>();
            for (long i = 0; i < kvs; i++) {
                String key = in.string();
                int type = in.u32();
                Object v = in.value(type);
                if (v != null) values.put(key, v);
            }
            return new GgufHeader(version, tensors, values);
        }
    }

    public int version() {
        return version;
    }

    public long tensorCount() {
        return tensorCount;
    }

    public Map<String, Object> values() {
        return values;
    }

    public String string(String key) {
        Object v = values.get(key);
        return v == null ? null : v.toString();
    }

    public long number(String key, long fallback) {
        Object v = values.get(key);
        return v instanceof Number n ? n.longValue() : fallback;
    }

    /** {@code general.architecture}, e.g. {@code qwen3}. */
    public String architecture() {
        return string("general.architecture");
    }

    /** The trained context length, 0 when unknown. */
    public long contextLength() {
        return number(architecture() + ".context_length", 0);
    }

    /** Bytes of an f16 KV cache per token of context, 0 when the metadata does not say. */
    public long kvBytesPerToken() {
        String a = architecture();
        if (a == null) return 0;
        long layers = number(a + ".block_count", 0);
        long heads = number(a + ".attention.head_count", 0);
        long kvHeads = number(a + ".attention.head_count_kv", heads);
        long embd = number(a + ".embedding_length", 0);
        long headDim = heads > 0 ? embd / heads : 0;
        long k = number(a + ".attention.key_length", headDim);
        long v = number(a + ".attention.value_length", headDim);
        return layers * kvHeads * (k + v) * 2;
    }

    private static final class LE implements AutoCloseable {
        private final DataInputStream in;

        LE(InputStream in) {
            this.in = new DataInputStream(in);
        }

        int u32() throws IOException {
            return Integer.reverseBytes(in.readInt());
        }

        long u64() throws IOException {
            return Long.reverseBytes(in.readLong());
        }

        String string() throws IOException {
            long n = u64();
            if (n < 0 || n > (64 << 20)) throw new IOException("implausible string length " + n);
            byte[] b = in.readNBytes((int) n);
            if (b.length != n) throw new EOFException();
            return new String(b, StandardCharsets.UTF_8);
        }

        Object value(int type) throws IOException {
            switch (type) {
                case 0: return (long) in.readUnsignedByte();
                case 1: return (long) in.readByte();
                case 2: return (long) Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
                case 3: return (long) Short.reverseBytes(in.readShort());
                case 4: return Integer.toUnsignedLong(u32());
                case 5: return (long) u32();
                case 6: return (double) Float.intBitsToFloat(u32());
                case 7: return in.readByte() != 0;
                case 8: return string();
                case 9: {
                    int elem = u32();
                    long n = u64();
                    if (n < 0) throw new IOException("implausible array length " + n);
                    int fixed = switch (elem) {
                        case 0, 1, 7 -> 1;
                        case 2, 3 -> 2;
                        case 4, 5, 6 -> 4;
                        case 10, 11, 12 -> 8;
                        default -> 0;
                    };
                    if (fixed > 0) {
                        in.skipNBytes(n * fixed);
                    } else if (elem == 8) {
                        for (long i = 0; i < n; i++) in.skipNBytes(u64());
                    } else {
                        for (long i = 0; i < n; i++) value(elem);
                    }
                    return null;
                }
                case 10: return u64();
                case 11: return u64();
                case 12: return Double.longBitsToDouble(u64());
                default: throw new IOException("unknown GGUF value type " + type);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
