package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RangeJournalTest {
    private static final long M = 1 << 20;
    private static final RepoFile FILE = new RepoFile("model.safetensors", 100 * M, "ab".repeat(32), "c0ffee");

    @Test
    void savedStateLoadsBack(@TempDir Path tmp) throws Exception {
        List<RangePlan.Range> ranges = RangePlan.plan(FILE.size(), 32 * M);
        long[] done = {32 * M, 5, 0};
        Path j = RangeJournal.of(tmp.resolve("model.safetensors"));
        assertEquals("model.safetensors.llamagic-ranges", j.getFileName().toString());
        RangeJournal.save(j, FILE, ranges, done);
        assertArrayEquals(done, RangeJournal.load(j, FILE, ranges));
        assertEquals(32 * M + 5, RangeJournal.contiguous(ranges, done));
    }

    @Test
    void anotherRangeSizeTakesOverTheDonePrefixes(@TempDir Path tmp) throws Exception {
        Path j = tmp.resolve("f.llamagic-ranges");
        // the earlier run: 32M ranges; the first complete, the second 20M in, the third not started
        RangeJournal.save(j, FILE, RangePlan.plan(FILE.size(), 32 * M), new long[] {32 * M, 20 * M, 0});
        List<RangePlan.Range> now = RangePlan.plan(FILE.size(), 16 * M);
        long[] done = RangeJournal.load(j, FILE, now);
        // 16M ranges starting at 0, 16M (inside the first), 32M, 48M (the second's 20M reach 52M), 64M...
        assertArrayEquals(new long[] {16 * M, 16 * M, 16 * M, 4 * M, 0, 0}, done);
    }

    @Test
    void aJournalAboutOtherBytesOrUnreadableIsNotTrusted(@TempDir Path tmp) throws Exception {
        List<RangePlan.Range> ranges = RangePlan.plan(FILE.size(), 32 * M);
        Path j = tmp.resolve("f.llamagic-ranges");
        RangeJournal.save(j, new RepoFile(FILE.path(), FILE.size(), "cd".repeat(32), "x"), ranges, new long[] {1, 2, 3});
        assertNull(RangeJournal.load(j, FILE, ranges), "another sha256: the hub's file changed");
        RangeJournal.save(j, new RepoFile(FILE.path(), FILE.size() + 1, FILE.sha256(), "x"), ranges, new long[] {1, 2, 3});
        assertNull(RangeJournal.load(j, FILE, ranges), "another size");
        for (String bad : new String[] {"", "{", "null", "[]", "{\"size\":104857600}",
                "{\"size\":104857600,\"sha256\":\"" + FILE.sha256() + "\",\"ranges\":[{\"start\":0,\"end\":9,\"done\":11}]}",
                "{\"size\":104857600,\"sha256\":\"" + FILE.sha256() + "\",\"ranges\":[{\"start\":0,\"end\":9,\"done\":-1}]}",
                "{\"size\":104857600,\"sha256\":\"" + FILE.sha256() + "\",\"ranges\":[{\"start\":5,\"end\":104857600,\"done\":1}]}"}) {
            Files.writeString(j, bad);
            assertNull(RangeJournal.load(j, FILE, ranges), bad);
        }
        assertNull(RangeJournal.load(tmp.resolve("missing"), FILE, ranges));
    }

    @Test
    void aPlainPartialFileIsAPrefix() {
        List<RangePlan.Range> ranges = RangePlan.plan(FILE.size(), 32 * M);
        assertArrayEquals(new long[] {32 * M, 8 * M, 0}, RangeJournal.prefix(ranges, 40 * M));
        assertArrayEquals(new long[] {0, 0, 0}, RangeJournal.prefix(ranges, 0));
        assertArrayEquals(new long[] {32 * M, 32 * M, 36 * M}, RangeJournal.prefix(ranges, 500 * M));
    }

    @Test
    void aCorruptJournalMakesTheStagedFileStartOver(@TempDir Path tmp) throws Exception {
        Path staging = tmp.resolve("._____temp/f.bin");
        Files.createDirectories(staging.getParent());
        Files.write(staging, new byte[(int) (3 * M)]);
        Files.writeString(RangeJournal.of(staging), "{not json");
        RepoFile f = new RepoFile("f.bin", 4 * M, "ab".repeat(32), "x");
        StagedFile s = new StagedFile(f, null, staging, tmp.resolve("f.bin"), M, 4, () -> false);
        s.open();
        try {
            assertEquals(0, s.resumed, "ranges at unknown offsets are not a prefix");
            assertEquals(0, Files.size(staging));
        } finally {
            s.closeChannel();
        }
        // without a journal, the same bytes are the official client's prefix
        Files.write(staging, new byte[(int) (3 * M)]);
        Files.delete(RangeJournal.of(staging));
        StagedFile t = new StagedFile(f, null, staging, tmp.resolve("f.bin"), M, 4, () -> false);
        t.open();
        try {
            assertEquals(3 * M, t.resumed);
        } finally {
            t.closeChannel();
        }
    }
}
