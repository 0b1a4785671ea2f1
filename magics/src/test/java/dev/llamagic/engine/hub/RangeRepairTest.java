package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.RecordingNotebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13: a file whose sha256 does not match is repaired range by range, not fetched again whole. */
class RangeRepairTest {
    private static final int RANGE = 256 << 10;

    private static ModelScope.Options options(LocalHub hub, Path out) {
        return options(hub, out, SnapshotDownloader.Options.STREAMS);
    }

    /** {@code streams} connections per file: as many as ranges gives each range a request of its own. */
    private static ModelScope.Options options(LocalHub hub, Path out, int streams) {
        return hub.options(out).timeout(Duration.ofSeconds(2))
                .tuning(new SnapshotDownloader.Options(4, 4, RANGE, 4, false).streams(streams));
    }

    /** The hub's count of bytes sent once the requests cut by the client have ended on its side too. */
    private static long settledSent(LocalHub hub, long atLeast) throws InterruptedException {
        for (int i = 0; i < 50 && hub.sent.get() < atLeast; i++) Thread.sleep(100);
        return hub.sent.get();
    }

    private static long count(LocalHub hub, String prefix) {
        return hub.bodies.stream().filter(b -> b.startsWith(prefix)).count();
    }

    /** How many body requests of {@code file} asked for byte {@code offset}. */
    private static long covering(LocalHub hub, String file, long offset) {
        return hub.bodies.stream().filter(b -> b.startsWith(file + " ")).filter(b -> {
            String[] se = b.substring(file.length() + 1, b.indexOf(' ', file.length() + 1)).split("-");
            return Long.parseLong(se[0]) <= offset && offset <= Long.parseLong(se[1]);
        }).count();
    }

    @Test
    void twoCorruptedRangesCostAboutTheRangesUpToTheLastOneNotTheFile(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(32 * RANGE, 7); // 32 ranges
        try (LocalHub hub = new LocalHub().file("big.bin", b).corrupt("big.bin", 2L * RANGE, 1).corrupt("big.bin", 5L * RANGE, 1)) {
            Path out = tmp.resolve("out");
            SnapshotDownloader.Result r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> ModelScope.run(LocalHub.context(new RecordingNotebook()), options(hub, out)));
            assertArrayEquals(b, Files.readAllBytes(out.resolve("big.bin")));
            assertEquals("sha256 ok (repaired: 2 of 32 ranges refetched)", r.files().get(0).verified());
            // four requests in all for the first copy (one per span of 8 ranges), the first corrupted in two places
            assertEquals(4, hub.bodies.stream().filter(x -> x.endsWith("sent " + 8L * RANGE)
                    || x.endsWith("sent " + 8L * RANGE + " (corrupt)")).count(), hub.bodies.toString());
            // the first copy, second copies up to range 5 (and the few in flight when it matched), third copies of 2 and 5
            assertEquals(3, covering(hub, "big.bin", 2L * RANGE), hub.bodies.toString());
            assertEquals(3, covering(hub, "big.bin", 5L * RANGE), hub.bodies.toString());
            // (a few second copies run ahead of the one that completes the repair, more on a loaded machine)
            for (int i = 22; i < 32; i++) {
                assertEquals(1, covering(hub, "big.bin", (long) i * RANGE), "range " + i + " fetched once: " + hub.bodies);
            }
            long sent = settledSent(hub, r.fetched());
            assertTrue(sent <= b.length + 24L * RANGE, sent + " bytes sent");
            assertTrue(r.fetched() <= sent && r.fetched() > b.length, r.fetched() + " fetched, " + sent + " sent");
            try (Stream<Path> s = Files.walk(out)) {
                assertEquals(List.of(), s.filter(p -> p.toString().contains("llamagic-tmp") || p.toString().contains("._____temp")).toList());
            }
        }
    }

    @Test
    void theRangesAShortResponseWroteAreCheckedFirst(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(32 * RANGE, 15); // 4 spans of 8 ranges
        // span 8-15's request is reset halfway (at 12), and the request that resumes it is corrupted at range 14
        try (LocalHub hub = new LocalHub().file("f.bin", b).cut("f.bin", 12L * RANGE, 1).corrupt("f.bin", 14L * RANGE, 1)) {
            List<String> asked = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            hub.beforeBody = asked::add;
            Path out = tmp.resolve("out");
            // one connection: the hub then sees the repair's requests in the order the repair asks for them (with
            // four, a low range dispatched together with range 14 could reach the hub first on a loaded machine)
            ModelScope.Options oneConnection = hub.options(out).timeout(Duration.ofSeconds(2))
                    .tuning(new SnapshotDownloader.Options(4, 1, RANGE, 4, false));
            SnapshotDownloader.Result r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> ModelScope.run(LocalHub.context(new RecordingNotebook()), oneConnection));
            assertArrayEquals(b, Files.readAllBytes(out.resolve("f.bin")));
            assertEquals("sha256 ok (repaired: 1 of 32 ranges refetched)", r.files().get(0).verified());
            // ranges 8-15 came in two responses of 4 ranges, the others in one of 8: the second copies of 8-15 are
            // asked for before any of 0-7 (in file order range 14 would come after all of them)
            List<String> copies = asked.subList(5, asked.size()); // after the 4 span requests and the resumed one
            int first14 = copies.indexOf("f.bin " + 14L * RANGE + "-" + (14L * RANGE + RANGE / 3 - 1));
            int firstLow = -1;
            for (int i = 0; i < copies.size() && firstLow < 0; i++) {
                if (Long.parseLong(copies.get(i).split("[ -]")[1]) < 8L * RANGE) firstLow = i;
            }
            assertTrue(first14 >= 0 && (firstLow < 0 || first14 < firstLow), asked.toString());
            // asked for in the cut request, sent in the corrupted one, then a second and a third copy
            assertEquals(4, covering(hub, "f.bin", 14L * RANGE), hub.bodies.toString());
        }
    }

    @Test
    void aFileIsReadInOneRequestPerSpanAcrossItsRanges(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(10 * RANGE + 5, 16); // 10 ranges (the tail joins the last): spans of 3, 3, 2, 2
        try (LocalHub hub = new LocalHub().file("f.bin", b)) {
            Path out = tmp.resolve("out");
            ModelScope.run(LocalHub.context(new RecordingNotebook()), options(hub, out));
            assertArrayEquals(b, Files.readAllBytes(out.resolve("f.bin")));
            assertEquals(java.util.Set.of("f.bin 0-" + (3L * RANGE - 1) + " sent " + 3L * RANGE,
                    "f.bin " + 3L * RANGE + "-" + (6L * RANGE - 1) + " sent " + 3L * RANGE,
                    "f.bin " + 6L * RANGE + "-" + (8L * RANGE - 1) + " sent " + 2L * RANGE,
                    "f.bin " + 8L * RANGE + "-" + (10L * RANGE + 4) + " sent " + (2L * RANGE + 5)),
                    java.util.Set.copyOf(hub.bodies));
        }
    }

    @Test
    void aHubThatCorruptsTheSameRequestTheSameWayCannotMakeTwoBadCopiesAgree(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(8 * RANGE, 14);
        // range 2's first two requests come back with the same block in their middle flipped (a request per range)
        try (LocalHub hub = new LocalHub().file("f.bin", b).corrupt("f.bin", 2L * RANGE, 2)) {
            hub.corruptMiddle = true;
            Path out = tmp.resolve("out");
            SnapshotDownloader.Result r = ModelScope.run(LocalHub.context(new RecordingNotebook()), options(hub, out, 8));
            assertArrayEquals(b, Files.readAllBytes(out.resolve("f.bin")));
            assertEquals("sha256 ok (repaired: 1 of 8 ranges refetched)", r.files().get(0).verified());
        }
    }

    @Test
    void aQuarterOfRequestsFaultedOfEveryKindStillGivesTheSameBytes(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(48 * RANGE, 8); // 12 MiB, 48 ranges, each its own request: many faults to repair
        for (long seed = 1; seed <= 2; seed++) {
            try (LocalHub hub = new LocalHub().file("f.bin", b).faults(0.25, seed, 3000)) {
                Path out = tmp.resolve("out" + seed);
                SnapshotDownloader.Result r = assertTimeoutPreemptively(Duration.ofSeconds(90),
                        () -> ModelScope.run(LocalHub.context(new RecordingNotebook()), options(hub, out, 48)));
                assertArrayEquals(b, Files.readAllBytes(out.resolve("f.bin")), "seed " + seed);
                assertTrue(hub.fired.get("corrupt").get() > 0 && hub.fired.size() == 5, hub.fired.toString());
                long sent = settledSent(hub, r.fetched());
                assertTrue(r.fetched() <= sent, r.fetched() + " fetched, " + sent + " sent");
                // cuts resume where they stopped; the repair costs at most about one more copy
                assertTrue(sent < 2.5 * b.length, "seed " + seed + ": " + sent + " for " + b.length);
                System.out.printf("seed %d: %s, fetched %.2fx, faults %s%n", seed, r.files().get(0).verified(),
                        sent / (double) b.length, hub.fired);
            }
        }
    }

    @Test
    void aRangeThatNeverAgreesFailsInOneLineAndTheRestResumes(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(8 * RANGE, 9);
        Path out = tmp.resolve("out");
        try (LocalHub hub = new LocalHub().file("f.bin", b).corrupt("f.bin", 3L * RANGE, -1)) {
            HubException e = assertThrows(HubException.class,
                    () -> ModelScope.run(LocalHub.context(new RecordingNotebook()), options(hub, out)));
            assertEquals("sha256 mismatch for f.bin that repair could not fix: 1 of 8 ranges never agreed in "
                    + RangeRepair.MAX_COPIES + " copies (run it again to continue)", e.getMessage());
            // the first copy (in span 2-3's request) and seven more
            assertEquals(RangeRepair.MAX_COPIES, covering(hub, "f.bin", 3L * RANGE), hub.bodies.toString());
            assertFalse(Files.exists(out.resolve("f.bin")));
            assertEquals(List.of(), sideFiles(out));
            // the journal keeps the ranges that agreed: the next run fetches only the one that did not
            JsonNode j = new ObjectMapper().readTree(RangeJournal.of(out.resolve("._____temp/f.bin")).toFile());
            assertEquals(7, j.path("ranges").findValues("verified").size(), j.toString());
        }
        try (LocalHub hub = new LocalHub().file("f.bin", b)) {
            ModelScope.run(LocalHub.context(new RecordingNotebook()), options(hub, out));
            assertArrayEquals(b, Files.readAllBytes(out.resolve("f.bin")));
            // a second and a third copy, each in two requests cut at its own point
            long s = 3L * RANGE;
            assertEquals(List.of("f.bin " + s + "-" + (s + RANGE / 3 - 1) + " sent " + RANGE / 3,
                    "f.bin " + (s + RANGE / 3) + "-" + (s + RANGE - 1) + " sent " + (RANGE - RANGE / 3),
                    "f.bin " + s + "-" + (s + RANGE / 4 - 1) + " sent " + RANGE / 4,
                    "f.bin " + (s + RANGE / 4) + "-" + (s + RANGE - 1) + " sent " + (RANGE - RANGE / 4)), hub.bodies);
        }
    }

    @Test
    void aHubWhoseCopiesAgreeButNotWithItsSha256IsRefusedAndNothingIsKept(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(4 * RANGE, 10);
        try (LocalHub hub = new LocalHub().file("f.bin", b).lists("f.bin", LocalHub.sha256(new byte[4 * RANGE]))) {
            Path out = tmp.resolve("out");
            HubException e = assertThrows(HubException.class,
                    () -> ModelScope.run(LocalHub.context(new RecordingNotebook()), options(hub, out)));
            assertTrue(e.getMessage().startsWith("sha256 mismatch for f.bin that repair could not fix: all 4 ranges agreed"
                    + " with a second copy, so the hub serves other bytes than the sha256 it lists"), e.getMessage());
            assertFalse(Files.exists(out.resolve("._____temp/f.bin")));
            assertFalse(Files.exists(RangeJournal.of(out.resolve("._____temp/f.bin"))));
        }
    }

    @Test
    void anInterruptDuringTheRepairLeavesNoTemporaryFilesAndTheNextRunFinishesIt(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(16 * RANGE, 12);
        Path out = tmp.resolve("out");
        Context ctx = LocalHub.context(new RecordingNotebook());
        try (LocalHub hub = new LocalHub().file("f.bin", b).corrupt("f.bin", 0, 1).corrupt("f.bin", 9L * RANGE, 2)) {
            // the user interrupts when the repair asks for a second copy of range 12 (the third of range 9 is due)
            hub.beforeBody = x -> {
                if (x.startsWith("f.bin " + 12L * RANGE + "-") && count(hub, "f.bin " + 12L * RANGE + "-") == 1) {
                    ctx.cancel();
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException ignored) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            assertThrows(Interrupted.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> ModelScope.run(ctx, options(hub, out))));
            assertFalse(Files.exists(out.resolve("f.bin")));
            assertEquals(List.of(), sideFiles(out));
            assertTrue(Files.exists(RangeJournal.of(out.resolve("._____temp/f.bin"))));
        }
        try (LocalHub hub = new LocalHub().file("f.bin", b)) {
            SnapshotDownloader.Result r = ModelScope.run(LocalHub.context(new RecordingNotebook()), options(hub, out));
            assertArrayEquals(b, Files.readAllBytes(out.resolve("f.bin")));
            assertTrue(r.files().get(0).verified().startsWith("sha256 ok"), r.toString());
            // the ranges that agreed before the interrupt are not fetched again: less than a second copy
            assertTrue(hub.sent.get() < 12L * RANGE, hub.bodies.toString());
            assertEquals(0, count(hub, "f.bin " + RANGE + "-"), hub.bodies.toString());
            assertEquals(List.of(), sideFiles(out));
        }
    }

    @Test
    void aCheckIsWorthItWhenTheRestIsLikelyClean() {
        assertTrue(RangeRepair.worthChecking(1, 3, 29), "one bad in the first three ranges: the rest may be clean");
        assertTrue(RangeRepair.worthChecking(2, 6, 26));
        assertTrue(RangeRepair.worthChecking(5, 40, 0), "nothing left: always");
        assertFalse(RangeRepair.worthChecking(20, 40, 200), "half the ranges bad: checking now is wasted reading");
    }

    private static List<Path> sideFiles(Path out) throws Exception {
        try (Stream<Path> s = Files.walk(out)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".llamagic-tmp")).toList();
        }
    }
}
