package dev.llamagic.engine.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the GGUF v3 header: magic, version, counts, metadata key/values (every value type, arrays too),
 * tensor infos with aligned offsets, and the padding up to the data section. Tensor data follows, each tensor
 * at its offset and padded with zeros to the alignment (as gguf-py writes it).
 */
public final class GgufWriter {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;

    private GgufWriter() {}

    public static long pad(long n, int alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    /** Assigns each tensor its offset in the data section (each aligned), in the given order. */
    public static List<GgufTensorInfo> layout(List<GgufTensorInfo> tensors, int alignment) {
        List<GgufTensorInfo> out = new ArrayList<>(tensors.size());
        long off = 0;
        for (GgufTensorInfo t : tensors) {
            out.add(t.withOffset(off));
            off += pad(t.bytes(), alignment);
        }
        return out;
    }

    /** Total bytes of the data section for tensors laid out by {@link #layout}. */
    public static long dataBytes(List<GgufTensorInfo> tensors, int alignment) {
        return tensors.stream().mapToLong(t -> pad(t.bytes(), alignment)).sum();
    }

    /** The header bytes, padded to the alignment: the data section starts right after them. */
    public static byte[] header(Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors, int alignment) {
        Out o = new Out();
        o.i32(MAGIC);
        o.i32(VERSION);
        o.i64(tensors.size());
        o.i64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            o.str(e.getKey());
            GgufValue v = e.getValue();
            o.i32(v.type().id);
            if (v.type() == GgufValue.Type.ARRAY) {
                o.i32(v.elemType().id);
                o.i64(v.list().size());
                for (Object x : v.list()) o.value(v.elemType(), x);
            } else {
                o.value(v.type(), v.value());
            }
        }
        for (GgufTensorInfo t : tensors) {
            o.str(t.name());
            o.i32(t.dims().length);
            for (long d : t.dims()) o.i64(d);
            o.i32(t.type().id);
            o.i64(t.offset());
        }
        while (o.size() % alignment != 0) o.write(0);
        return o.toByteArray();
    }

    private static final class Out extends ByteArrayOutputStream {
        Out() {
            super(1 << 20);
        }

        void i16(int v) {
            write(v);
            write(v >>> 8);
        }

        void i32(int v) {
            for (int i = 0; i < 4; i++) write(v >>> (8 * i));
        }

        void i64(long v) {
            for (int i = 0; i < 8; i++) write((int) (v >>> (8 * i)));
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            write(b, 0, b.length);
        }

        void value(GgufValue.Type type, Object x) {
            switch (type) {
                case UINT8, INT8 -> write((int) ((Number) x).longValue());
                case UINT16, INT16 -> i16((int) ((Number) x).longValue());
                case UINT32, INT32 -> i32((int) ((Number) x).longValue());
                case UINT64, INT64 -> i64(((Number) x).longValue());
                case FLOAT32 -> i32(Float.floatToRawIntBits(((Number) x).floatValue()));
                case FLOAT64 -> i64(Double.doubleToRawLongBits(((Number) x).doubleValue()));
                case BOOL -> write(Boolean.TRUE.equals(x) ? 1 : 0);
                case STRING -> str((String) x);
                case ARRAY -> throw new IllegalArgumentException("nested arrays are not written");
            }
        }
    }
}
