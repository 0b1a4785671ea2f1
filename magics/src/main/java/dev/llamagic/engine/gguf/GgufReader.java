package dev.llamagic.engine.gguf;

import dev.llamagic.core.UserError;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a GGUF file's header (v2/v3): metadata of every type, tensor infos, the data offset. */
public final class GgufReader {
    private GgufReader() {}

    public static GgufFile read(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new UserError(path + " does not exist");
        long size = Files.size(path);
        try (InputStream raw = Files.newInputStream(path); Le in = new Le(new BufferedInputStream(raw, 1 << 16), size)) {
            int magic = in.i32();
            if (magic != GgufWriter.MAGIC) throw new UserError(path.getFileName() + " is not a GGUF file (bad magic)");
            int version = in.i32();
            if (version < 2 || version > 3) throw new UserError(path.getFileName() + " has GGUF version " + version + " (2 or 3 supported)");
            long nTensors = in.i64();
            long nKv = in.i64();
            if (nTensors < 0 || nKv < 0 || nTensors > 1_000_000 || nKv > 1_000_000) {
                throw new UserError(path.getFileName() + " has a corrupt GGUF header");
            }
            Map<String, GgufValue> kv = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                String key = in.str();
                GgufValue.Type t = type(in.i32(), path);
                if (t == GgufValue.Type.ARRAY) {
                    GgufValue.Type et = type(in.i32(), path);
                    long n = in.i64();
                    // every element takes at least one byte: a count beyond the bytes left is a corrupt file
                    if (n < 0 || n > Integer.MAX_VALUE || n > in.left()) throw new UserError(path.getFileName() + " has a corrupt GGUF array");
                    List<Object> l = new ArrayList<>((int) Math.min(n, 1 << 20));
                    for (long j = 0; j < n; j++) l.add(in.value(et));
                    kv.put(key, new GgufValue(t, et, l));
                } else {
                    kv.put(key, new GgufValue(t, null, in.value(t)));
                }
            }
            List<GgufTensorInfo> tensors = new ArrayList<>();
            for (long i = 0; i < nTensors; i++) {
                String name = in.str();
                int nd = in.i32();
                if (nd < 0 || nd > 8) throw new UserError(path.getFileName() + " has a corrupt tensor info for " + name);
                long[] dims = new long[nd];
                for (int d = 0; d < nd; d++) dims[d] = in.i64();
                int tid = in.i32();
                GgmlType gt = GgmlType.of(tid);
                if (gt == null) throw new UserError(path.getFileName() + ": tensor " + name + " has unknown ggml type " + tid);
                long offset = in.i64();
                checkShape(path, name, dims, gt, offset);
                tensors.add(new GgufTensorInfo(name, dims, gt, offset));
            }
            int alignment = alignment(path, kv);
            long dataOffset = GgufWriter.pad(in.pos, alignment);
            for (GgufTensorInfo t : tensors) {
                if (t.offset() % alignment != 0) {
                    throw new UserError(path.getFileName() + ": tensor " + t.name() + " is not aligned to " + alignment + " bytes (a corrupt GGUF file)");
                }
                if (dataOffset + t.offset() + t.bytes() > size) {
                    throw new UserError(path.getFileName() + " is truncated (tensor " + t.name() + " ends past the end of the file)");
                }
            }
            return new GgufFile(path, version, kv, List.copyOf(tensors), dataOffset, alignment, size);
        } catch (EOFException e) {
            throw new UserError(path.getFileName() + " is truncated (the GGUF header ends early)");
        }
    }

    /**
     * What ggml itself checks of a tensor's shape: no negative dimension, an element count and a byte size that fit
     * in 63 bits, whole blocks along the first dimension, and a non-negative offset.
     */
    static void checkShape(Path path, String name, long[] dims, GgmlType type, long offset) {
        String what = path.getFileName() + ": tensor " + name;
        long n = 1;
        for (long d : dims) {
            if (d < 0) throw new UserError(what + " has a negative dimension (" + d + "): a corrupt GGUF file");
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new UserError(what + " has more elements than fit in 64 bits: a corrupt GGUF file");
            }
        }
        if (dims.length > 0 && dims[0] % type.blockSize != 0) {
            throw new UserError(what + "'s first dimension " + dims[0] + " is not a multiple of " + type + "'s block of " + type.blockSize);
        }
        if (n / type.blockSize > Long.MAX_VALUE / Math.max(1, type.typeSize)) {
            throw new UserError(what + " is larger than 2^63 bytes: a corrupt GGUF file");
        }
        if (offset < 0) throw new UserError(what + " has a negative data offset: a corrupt GGUF file");
    }

    /** {@code general.alignment}: a power of two (ggml's rule), 32 when absent. */
    static int alignment(Path path, Map<String, GgufValue> kv) {
        GgufValue v = kv.get("general.alignment");
        if (v == null) return GgufWriter.DEFAULT_ALIGNMENT;
        long a = v.value() instanceof Number num ? num.longValue() : -1;
        if (a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1) {
            throw new UserError(path.getFileName() + " has general.alignment " + v.value() + " (must be a power of two): a corrupt GGUF file");
        }
        return (int) a;
    }

    private static GgufValue.Type type(int id, Path path) {
        GgufValue.Type t = GgufValue.Type.of(id);
        if (t == null) throw new UserError(path.getFileName() + " has an unknown GGUF value type " + id);
        return t;
    }

    private static final class Le implements AutoCloseable {
        final DataInputStream in;
        final long size;
        long pos;
        final byte[] b8 = new byte[8];

        Le(InputStream in, long size) {
            this.in = new DataInputStream(in);
            this.size = size;
        }

        /** Bytes of the file not read yet. */
        long left() {
            return size - pos;
        }

        long u(int n) throws IOException {
            in.readFully(b8, 0, n);
            pos += n;
            long v = 0;
            for (int i = n - 1; i >= 0; i--) v = (v << 8) | (b8[i] & 0xFF);
            return v;
        }

        int i32() throws IOException {
            return (int) u(4);
        }

        long i64() throws IOException {
            return u(8);
        }

        String str() throws IOException {
            long n = i64();
            // a length beyond the bytes left is a truncated or corrupt file: never allocate for it
            if (n < 0 || n > (1L << 30) || n > left()) throw new EOFException();
            byte[] b = new byte[(int) n];
            in.readFully(b);
            pos += n;
            return new String(b, StandardCharsets.UTF_8);
        }

        Object value(GgufValue.Type t) throws IOException {
            return switch (t) {
                case UINT8 -> u(1);
                case INT8 -> (long) (byte) u(1);
                case UINT16 -> u(2);
                case INT16 -> (long) (short) u(2);
                case UINT32 -> u(4);
                case INT32 -> (long) (int) u(4);
                case UINT64, INT64 -> u(8);
                case FLOAT32 -> Float.intBitsToFloat((int) u(4));
                case FLOAT64 -> Double.longBitsToDouble(u(8));
                case BOOL -> u(1) != 0;
                case STRING -> str();
                case ARRAY -> throw new EOFException();
            };
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
