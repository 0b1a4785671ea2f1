package dev.llamagic.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The small shared helpers: sizes as people write them, files replaced whole, SHA-256. */
class UnitsTest {
    @TempDir
    Path dir;

    @Test
    void parsesBytes() {
        assertEquals(32L << 20, Units.parseBytes("32M"));
        assertEquals(32L << 20, Units.parseBytes("32MiB"));
        assertEquals(32L << 20, Units.parseBytes(" 32 mb "));
        assertEquals(1L << 30, Units.parseBytes("1g"));
        assertEquals(1536L << 20, Units.parseBytes("1.5GiB"));
        assertEquals(512 * 1024, Units.parseBytes("512k"));
        assertEquals(2L << 40, Units.parseBytes("2T"));
        assertEquals(1000, Units.parseBytes("1000"));
        assertEquals(0, Units.parseBytes("0"));
        for (String bad : new String[] {"lots", "-1M", "", "M", "1X"}) {
            NumberFormatException e = assertThrows(NumberFormatException.class, () -> Units.parseBytes(bad));
            assertEquals("not a size: '" + bad + "' (e.g. 64M, 1G)", e.getMessage());
        }
    }

    @Test
    void atomicWritesReplaceTheFileAndLeaveNoTempBehind() throws Exception {
        Path f = dir.resolve("x.json");
        AtomicFiles.write(f, "one");
        AtomicFiles.write(f, "twö");
        assertEquals("twö", Files.readString(f, StandardCharsets.UTF_8));
        Thread.currentThread().interrupt();
        try {
            AtomicFiles.write(f, new byte[] {1, 2, 3});
        } finally {
            assertEquals(true, Thread.interrupted(), "the interrupt is left as it was");
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
        try (var s = Files.list(dir)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".llamagic-tmp")));
        }
    }

    @Test
    void sha256() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hashes.sha256Hex("abc"));
        assertEquals(Hashes.sha256Hex("abc"),
                java.util.HexFormat.of().formatHex(Hashes.sha256().digest("abc".getBytes(StandardCharsets.UTF_8))));
    }
}
