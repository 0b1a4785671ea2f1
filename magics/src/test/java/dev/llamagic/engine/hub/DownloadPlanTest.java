package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloadPlanTest {
    @Test
    void recordedFilesAreSkippedRightSizedHashedTheRestFetched(@TempDir Path tmp) throws Exception {
        Layout layout = Layout.localDir(tmp, "acme", "m");
        byte[] a = LocalHub.bytes(1000, 1);
        byte[] b = LocalHub.bytes(2000, 2);
        Files.write(tmp.resolve("a.bin"), a);
        Files.createDirectories(tmp.resolve("sub"));
        Files.write(tmp.resolve("sub/b.bin"), b);
        Files.write(tmp.resolve("c.bin"), new byte[10]);
        RepoFile fa = new RepoFile("a.bin", 1000, LocalHub.sha256(a), "x");
        RepoFile fb = new RepoFile("sub/b.bin", 2000, LocalHub.sha256(b), "x");
        RepoFile fc = new RepoFile("c.bin", 11, "00".repeat(32), "x");
        RepoFile fd = new RepoFile("d.bin", 5, "00".repeat(32), "x");
        VerifiedRecord record = VerifiedRecord.load(tmp);
        record.put("a.bin", tmp.resolve("a.bin"), fa.sha256());

        DownloadPlan p = DownloadPlan.of(List.of(fa, fb, fc, fd), layout, record, false);
        assertEquals(List.of(fa), p.trusted());
        assertEquals(List.of(fb), p.toHash(), "right size, no record");
        assertEquals(List.of(fc, fd), p.toFetch(), "wrong size, missing");

        assertEquals(List.of(fa, fb), DownloadPlan.of(List.of(fa, fb), layout, record, true).toHash(), "--verify trusts no record");
        RepoFile changed = new RepoFile("a.bin", 1000, "11".repeat(32), "y");
        assertEquals(List.of(changed), DownloadPlan.of(List.of(changed), layout, record, false).toHash(),
                "the hub lists another sha256 now");
        Files.setLastModifiedTime(tmp.resolve("a.bin"), java.nio.file.attribute.FileTime.fromMillis(1000));
        assertEquals(List.of(fa), DownloadPlan.of(List.of(fa), layout, VerifiedRecord.load(tmp), false).toHash(),
                "touched since: hashed again");
    }
}
