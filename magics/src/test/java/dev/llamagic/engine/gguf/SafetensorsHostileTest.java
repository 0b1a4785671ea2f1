package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.llamagic.core.UserError;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crafted and fuzzed safetensors headers and shard indexes: read, or refused in one line; nothing else escapes. */
class SafetensorsHostileTest {
    @TempDir
    Path dir;

    static byte[] st(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(new byte[dataBytes]);
        return out.toByteArray();
    }

    static final String GOOD = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[16,24]}}";

    UserError refused(byte[] bytes) throws Exception {
        Path f = Files.write(dir.resolve("model.safetensors"), bytes);
        UserError e = assertThrows(UserError.class, () -> Safetensors.readHeader(f));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().startsWith("model.safetensors") || e.getMessage().startsWith("tensor "), e.getMessage());
        return e;
    }

    static void has(UserError e, String part) {
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void aGoodHeaderIsRead() throws Exception {
        Path f = Files.write(dir.resolve("model.safetensors"), st(GOOD, 24));
        List<Safetensors.Tensor> ts = Safetensors.readHeader(f);
        assertEquals(2, ts.size());
        assertEquals(16, ts.get(0).length());
    }

    @Test
    void headerLengthsBeyondTheFileOrHugeAllocateNothing() throws Exception {
        byte[] b = st(GOOD, 24);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        has(refused(b), "impossible");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 99L << 20);
        has(refused(b), "truncated");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        has(refused(b), "impossible");
    }

    @Test
    void badOffsetsOverlapsSizesAndOverflowsAreRefusedInOneLine() throws Exception {
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8)), "data_offsets of \"a\"");
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8)), "ascending");
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.5,8.5]}}", 16)), "whole numbers");
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 16)), "do not match its shape");
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4)), "truncated");
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16)), "overlap");
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}}", 8)),
                "2^63 elements");
        // 2^62 elements of 4 bytes: the byte count overflows though the element count does not
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", 8)),
                "do not match its shape");
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8)), "bad shape");
        has(refused(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e30],\"data_offsets\":[0,8]}}", 8)), "bad shape");
        has(refused(st("{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8)), "a\\u000ab");
    }

    /** An index with {@code shard} as the file of one tensor, next to a real model.safetensors. */
    Path model(String shard) throws Exception {
        Path m = Files.createDirectories(dir.resolve("m"));
        Files.write(m.resolve("model.safetensors"), st(GOOD, 24));
        String json = "{\"weight_map\":{\"a\":\"model.safetensors\",\"b\":" + shard + "}}";
        Files.writeString(m.resolve("model.safetensors.index.json"), json);
        return m;
    }

    UserError refusedIndex(String shard) throws Exception {
        Path m = model(shard);
        UserError e = assertThrows(UserError.class, () -> Safetensors.open(m));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("model.safetensors.index.json"), e.getMessage());
        return e;
    }

    @Test
    void indexShardsOutsideTheModelDirectoryAreRefusedUnread() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "root:x:0:0:TOPSECRET");
        UserError abs = refusedIndex("\"" + secret + "\"");
        has(abs, "not a plain file name");
        has(abs, secret.toString());
        assertFalse(abs.getMessage().contains("TOPSECRET"), abs.getMessage());
        UserError up = refusedIndex("\"../secret.txt\"");
        has(up, "\"../secret.txt\" as a shard, which is not a plain file name");
        assertFalse(up.getMessage().contains("TOPSECRET"), up.getMessage());
        has(refusedIndex("\"sub/../../secret.txt\""), "not a plain file name");
        has(refusedIndex("\"..\""), "not a plain file name");
        has(refusedIndex("\"a\\\\..\\\\secret.txt\""), "not a plain file name");
        has(refusedIndex("\"x\\nsecond line\""), "x\\u000asecond line");
        has(refusedIndex("7"), "not a file name");
        has(refusedIndex("{\"f\":1}"), "not a file name");
    }

    @Test
    void indexShardsThatAreLinksLeadingOutAreRefused() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "TOPSECRET");
        Path m = model("\"evil.safetensors\"");
        Files.createSymbolicLink(m.resolve("evil.safetensors"), secret);
        UserError e = assertThrows(UserError.class, () -> Safetensors.open(m));
        has(e, "\"evil.safetensors\" as a shard, which is a link leading out of the model directory");
        assertFalse(e.getMessage().contains("TOPSECRET"), e.getMessage());
    }

    @Test
    void aHuggingFaceCacheSnapshotWhoseLinksStayInTheRepoIsRead() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("models--o--n"));
        Path blob = Files.write(Files.createDirectories(repo.resolve("blobs")).resolve("abc123"), st(GOOD, 24));
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve("rev1"));
        Files.createSymbolicLink(snap.resolve("model.safetensors"), blob);
        Files.writeString(snap.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"model.safetensors\",\"b\":\"model.safetensors\"}}");
        assertEquals(2, Safetensors.open(snap).tensors().size());
    }

    @Test
    void randomHeadersAreReadOrRefusedInOneLine() throws Exception {
        byte[] good = st(GOOD, 24);
        Random r = new Random(20261203);
        long deadline = System.nanoTime() + 15_000_000_000L;
        Path f = dir.resolve("fuzz.safetensors");
        String alphabet = "{}[]\":,-0123456789e.FBI16324_ \\naz";
        for (int i = 0; i < 4000 && System.nanoTime() < deadline; i++) {
            byte[] b = good.clone();
            int flips = 1 + r.nextInt(4);
            for (int k = 0; k < flips; k++) {
                int at = r.nextInt(b.length);
                b[at] = at < 8 && r.nextBoolean() ? (byte) r.nextInt(256)
                        : (byte) alphabet.charAt(r.nextInt(alphabet.length()));
            }
            if (r.nextInt(8) == 0) b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
            Files.write(f, b);
            try {
                for (Safetensors.Tensor t : Safetensors.readHeader(f)) {
                    assertTrue(t.offset() >= 8 && t.length() >= 0 && t.offset() + t.length() <= b.length, "case " + i);
                    assertEquals(t.elements() * t.elementSize(), t.length(), "case " + i);
                }
            } catch (UserError e) {
                assertEquals(1, e.getMessage().lines().count(), "case " + i + ": " + e.getMessage());
            } catch (Throwable t) {
                fail("case " + i + " escaped as " + t, t);
            }
        }
    }

    @Test
    void randomIndexesAreReadOrRefusedInOneLine() throws Exception {
        Path m = Files.createDirectories(dir.resolve("im"));
        Files.write(m.resolve("model-1.safetensors"), st(GOOD, 24));
        Files.writeString(dir.resolve("outside.safetensors"), "TOPSECRET");
        String good = "{\"metadata\":{\"total_size\":24},\"weight_map\":{\"a\":\"model-1.safetensors\",\"b\":\"model-1.safetensors\"}}";
        String alphabet = "{}[]\":,./\\-01nul \nweight_map";
        Random r = new Random(42);
        long deadline = System.nanoTime() + 15_000_000_000L;
        for (int i = 0; i < 3000 && System.nanoTime() < deadline; i++) {
            StringBuilder b = new StringBuilder(good);
            int edits = 1 + r.nextInt(4);
            for (int k = 0; k < edits; k++) {
                int at = r.nextInt(b.length() + 1);
                switch (r.nextInt(4)) {
                    case 0 -> b.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
                    case 1 -> { if (at < b.length()) b.deleteCharAt(at); }
                    case 2 -> b.insert(at, r.nextBoolean() ? "../" : "/");
                    default -> { if (at < b.length()) b.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length()))); }
                }
            }
            Files.writeString(m.resolve("model.safetensors.index.json"), b);
            try {
                Safetensors s = Safetensors.open(m);
                for (Safetensors.Tensor t : s.tensors()) assertTrue(t.file().startsWith(m), "case " + i + ": " + t.file());
            } catch (UserError e) {
                assertEquals(1, e.getMessage().lines().count(), "case " + i + ": " + e.getMessage());
                assertFalse(e.getMessage().contains("TOPSECRET"), "case " + i + ": " + e.getMessage());
            } catch (Throwable t) {
                fail("case " + i + " escaped as " + t, t);
            }
        }
    }
}
