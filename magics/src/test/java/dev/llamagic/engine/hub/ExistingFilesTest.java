package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Progress;
import dev.llamagic.core.RecordingNotebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExistingFilesTest {
    private static Progress bar() {
        return new Progress(new RecordingNotebook(), "verify", 1, Progress.Unit.BYTES);
    }

    @Test
    void sha256OfAFileIsTheKnownOne(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("abc"), "abc");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                ExistingFiles.sha256(tmp.resolve("abc"), null, () -> false));
        byte[] big = LocalHub.bytes(3 << 20, 7);
        Files.write(tmp.resolve("big"), big);
        assertEquals(LocalHub.sha256(big), ExistingFiles.sha256(tmp.resolve("big"), null, () -> false));
    }

    @Test
    void matchesAreRecordedMismatchesLeftToFetch(@TempDir Path tmp) throws Exception {
        byte[] good = LocalHub.bytes(5000, 1);
        byte[] bad = LocalHub.bytes(5000, 2);
        Files.write(tmp.resolve("good.bin"), good);
        Files.write(tmp.resolve("bad.bin"), bad);
        RepoFile g = new RepoFile("good.bin", 5000, LocalHub.sha256(good), "x");
        RepoFile b = new RepoFile("bad.bin", 5000, LocalHub.sha256(good), "x");
        VerifiedRecord record = VerifiedRecord.load(tmp);
        ExistingFiles.Checked c = ExistingFiles.verify(List.of(g, b), Layout.localDir(tmp, "acme", "m"), record, bar(), () -> false);
        assertEquals(List.of(g), c.good());
        assertEquals(List.of(b), c.wrong());
        VerifiedRecord again = VerifiedRecord.load(tmp);
        assertTrue(again.trusts("good.bin", tmp.resolve("good.bin"), 5000, g.sha256()));
        assertTrue(!again.trusts("bad.bin", tmp.resolve("bad.bin"), 5000, b.sha256()));
    }

    @Test
    void anInterruptStopsHashing(@TempDir Path tmp) throws Exception {
        Files.write(tmp.resolve("f"), new byte[1000]);
        RepoFile f = new RepoFile("f", 1000, "00".repeat(32), "x");
        assertThrows(Interrupted.class, () -> ExistingFiles.verify(List.of(f), Layout.localDir(tmp, "acme", "m"),
                VerifiedRecord.load(tmp), bar(), () -> true));
    }
}
