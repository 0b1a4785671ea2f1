package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.RecordingNotebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader end to end against a real local HTTP hub ({@link LocalHub}). */
class SnapshotDownloadTest {
    @Test
    void downloadsVerifiesAndResumesFromTheJournal(@TempDir Path tmp) throws Exception {
        byte[] big = LocalHub.bytes(5 << 20, 1);
        byte[] small = LocalHub.bytes(100, 2);
        try (LocalHub hub = new LocalHub().file("big.bin", big).file("dir/small.txt", small).file("empty", new byte[0])) {
            Path out = tmp.resolve("out");
            // an earlier run left the first 1M range complete and the third 1000 bytes in
            Path staging = out.resolve("._____temp/big.bin");
            Files.createDirectories(staging.getParent());
            Files.write(staging, big);
            RepoFile bigFile = new RepoFile("big.bin", big.length, LocalHub.sha256(big), "c0ffee");
            List<RangePlan.Range> ranges = RangePlan.plan(big.length, 1 << 20);
            long[] done = new long[ranges.size()];
            done[0] = 1 << 20;
            done[2] = 1000;
            RangeJournal.save(RangeJournal.of(staging), bigFile, ranges, done);

            SnapshotDownloader.Result r = ModelScope.run(LocalHub.context(new RecordingNotebook()), hub.options(out));
            assertArrayEquals(big, Files.readAllBytes(out.resolve("big.bin")));
            assertArrayEquals(small, Files.readAllBytes(out.resolve("dir/small.txt")));
            assertEquals(0, Files.size(out.resolve("empty")));
            assertEquals(3, r.files().size());
            assertTrue(hub.bodies.stream().noneMatch(b -> b.startsWith("big.bin 0-")), hub.bodies.toString());
            assertTrue(hub.bodies.contains("big.bin " + ((2 << 20) + 1000) + "-" + ((3 << 20) - 1) + " sent "
                    + ((1 << 20) - 1000)), hub.bodies.toString());
            assertFalse(Files.exists(RangeJournal.of(staging)));

            hub.bodies.clear();
            SnapshotDownloader.Result again = ModelScope.run(LocalHub.context(new RecordingNotebook()), hub.options(out));
            assertTrue(hub.bodies.isEmpty(), "verified before: nothing fetched");
            assertTrue(again.files().stream().allMatch(f -> f.verified().startsWith("skipped")), again.toString());
        }
    }
}
