package dev.llamagic.engine.gguf;

import dev.llamagic.core.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Crafted and fuzzed GGUF files: every one is read, or refused in one line; nothing else escapes, nothing hangs. */
class GgufReaderHostileTest {
    @TempDir
    Path dir;

    /** A GGUF with one tensor of the given dims and type, and the given metadata, with its data present. */
    static byte[] gguf(Map<String, GgufValue> kv, long[] dims, GgmlType type, long offset, long dataBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufWriter.MAGIC).putInt(3).putLong(1).putLong(kv.size());
        for (var e : kv.entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            b.putLong(k.length).put(k);
            GgufValue v = e.getValue();
            b.putInt(v.type().id);
            long n = ((Number) v.value()).longValue();
            switch (v.type()) {
                case UINT32, INT32 -> b.putInt((int) n);
                case UINT64, INT64 -> b.putLong(n);
                default -> throw new IllegalArgumentException(v.type().toString());
            }
        }
        byte[] name = "t".getBytes(StandardCharsets.UTF_8);
        b.putLong(name.length).put(name).putInt(dims.length);
        for (long d : dims) b.putLong(d);
        b.putInt(type.id).putLong(offset);
        while (b.position() % 32 != 0) b.put((byte) 0);
        out.write(b.array(), 0, b.position());
        out.writeBytes(new byte[(int) dataBytes]);
        return out.toByteArray();
    }

    static int typeId(GgufValue.Type t) {
        return t.id;
    }

    UserError refused(byte[] bytes) throws Exception {
        Path f = Files.write(dir.resolve("bad.gguf"), bytes);
        UserError e = assertThrows(UserError.class, () -> GgufReader.read(f));
        assertTrue(e.getMessage().startsWith("bad.gguf"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e;
    }

    @Test
    void aGoodFileIsRead() throws Exception {
        Path f = Files.write(dir.resolve("ok.gguf"), gguf(Map.of(), new long[] {4, 2}, GgmlType.F32, 0, 32));
        GgufFile g = GgufReader.read(f);
        assertEquals(8, g.parameterCount());
        assertEquals(32, g.tensorBytes());
    }

    @Test
    void negativeAndOverflowingDimensionsAreRefused() throws Exception {
        assertTrue(refused(gguf(Map.of(), new long[] {4, -2}, GgmlType.F32, 0, 0)).getMessage().contains("negative dimension"));
        assertTrue(refused(gguf(Map.of(), new long[] {1L << 40, 1L << 40}, GgmlType.F32, 0, 0)).getMessage().contains("64 bits"));
        assertTrue(refused(gguf(Map.of(), new long[] {1L << 62, 4}, GgmlType.F32, 0, 0)).getMessage().contains("64 bits"));
        assertTrue(refused(gguf(Map.of(), new long[] {1L << 61}, GgmlType.F32, 0, 0)).getMessage().contains("2^63 bytes"));
        assertTrue(refused(gguf(Map.of(), new long[] {33}, GgmlType.Q8_0, 0, 64)).getMessage().contains("block"));
        assertTrue(refused(gguf(Map.of(), new long[] {8}, GgmlType.F32, -32, 64)).getMessage().contains("negative data offset"));
    }

    @Test
    void zeroOrOddAlignmentIsRefused() throws Exception {
        for (long a : new long[] {0, 3, 48, -32}) {
            Map<String, GgufValue> kv = new LinkedHashMap<>();
            kv.put("general.alignment", GgufValue.u32(a & 0xFFFFFFFFL));
            assertTrue(refused(gguf(kv, new long[] {8}, GgmlType.F32, 0, 32)).getMessage().contains("power of two"), "alignment " + a);
        }
    }

    @Test
    void tensorsPastTheEndOrMisalignedAreRefused() throws Exception {
        assertTrue(refused(gguf(Map.of(), new long[] {1024}, GgmlType.F32, 0, 100)).getMessage().contains("truncated"));
        assertTrue(refused(gguf(Map.of(), new long[] {8}, GgmlType.F32, 4, 64)).getMessage().contains("not aligned"));
    }

    @Test
    void hugeDeclaredLengthsAllocateNothing() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufWriter.MAGIC).putInt(3).putLong(0).putLong(1).putLong(1L << 29); // a 512 MiB key in a 64-byte file
        refused(b.array());
        ByteBuffer a = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        a.putInt(GgufWriter.MAGIC).putInt(3).putLong(0).putLong(1).putLong(1).put((byte) 'k')
                .putInt(typeId(GgufValue.Type.ARRAY)).putInt(typeId(GgufValue.Type.STRING)).putLong(Integer.MAX_VALUE - 1);
        refused(a.array());
    }

    @Test
    void randomCorruptionIsReadOrRefusedInOneLine() throws Exception {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.alignment", GgufValue.u32(32));
        kv.put("llama.block_count", GgufValue.u32(2));
        byte[] good = gguf(kv, new long[] {32, 4}, GgmlType.Q8_0, 0, 4 * 34 + 32);
        Random r = new Random(20261203);
        long deadline = System.nanoTime() + 20_000_000_000L;
        Path f = dir.resolve("fuzz.gguf");
        for (int i = 0; i < 3000 && System.nanoTime() < deadline; i++) {
            byte[] b = good.clone();
            int flips = 1 + r.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int at = r.nextInt(Math.min(b.length, 160));
                b[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : (r.nextBoolean() ? 0xFF : 0x80));
            }
            if (r.nextInt(8) == 0) b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
            Files.write(f, b);
            try {
                GgufFile g = GgufReader.read(f);
                assertTrue(g.tensorBytes() >= 0 && g.parameterCount() >= 0, "case " + i);
            } catch (UserError e) {
                assertEquals(1, e.getMessage().lines().count(), "case " + i + ": " + e.getMessage());
            } catch (Throwable t) {
                fail("case " + i + " escaped as " + t, t);
            }
        }
    }
}
