package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.RecordingNotebook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a hostile or broken hub (or a second run) must not do to a download: issue 13, against a real local hub. */
class HubHardeningTest {
    private static SnapshotDownloader.Result run(LocalHub hub, ModelScope.Options o) {
        return ModelScope.run(LocalHub.context(new RecordingNotebook()), o);
    }

    private static String refused(LocalHub hub, Path out) {
        HubException e = assertThrows(HubException.class, () -> run(hub, hub.options(out)));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(hub.bodies.isEmpty(), "refused before any byte is fetched: " + hub.bodies);
        return e.getMessage();
    }

    // a. a trickling hub
    @Test
    void aRangeThatTricklesIsCutAndFetchedAgain(@TempDir Path tmp) throws Exception {
        byte[] b = LocalHub.bytes(64 << 10, 3);
        try (LocalHub hub = new LocalHub().file("slow.bin", b).slow("slow.bin", 20, 1)) {
            ModelScope.Options o = hub.options(tmp.resolve("out"));
            o.tuning(new SnapshotDownloader.Options(4, 4, 1 << 20, 2, false).minRate(16 << 10, Duration.ofSeconds(1)));
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> run(hub, o));
            assertArrayEquals(b, Files.readAllBytes(tmp.resolve("out/slow.bin")));
            assertEquals(2, hub.bodies.size(), hub.bodies.toString());
            assertTrue(hub.bodies.get(0).startsWith("slow.bin 0-65535 sent "), hub.bodies.toString());
        }
    }

    @Test
    void theDefaultsCutATrickleOfOneBytePerSecondWithinAMinute() {
        SnapshotDownloader.Options d = SnapshotDownloader.Options.defaults();
        assertTrue(d.minRate() > 1 && d.rateWindow().compareTo(Duration.ofSeconds(60)) <= 0, d.toString());
    }

    // b. listed sizes
    @Test
    void listedSizesAreValidatedWithoutRunningOutOfMemory(@TempDir Path tmp) throws Exception {
        try (LocalHub hub = new LocalHub().file("ok.txt", new byte[3]).entry("huge.bin", 1L << 62)) {
            String m = refused(hub, tmp.resolve("a"));
            assertEquals("refusing to download acme/m: the hub lists a file 'huge.bin' with an implausible size ("
                    + (1L << 62) + " bytes)", m);
        }
        try (LocalHub hub = new LocalHub().file("ok.txt", new byte[3]).entry("neg.bin", -5)) {
            assertTrue(refused(hub, tmp.resolve("b")).endsWith("'neg.bin' with a negative size (-5)"));
        }
        // the largest size believed, in 1 MiB ranges: 2^30 ranges would not fit the heap; the disk check comes first
        try (LocalHub hub = new LocalHub().file("ok.txt", new byte[3]).entry("big.bin", DownloadPlan.MAX_SIZE)) {
            String m = refused(hub, tmp.resolve("c"));
            assertTrue(m.startsWith("not enough disk space in ") && m.contains("needs 1024 TiB"), m);
        }
    }

    @Test
    void anUnreadableSizeIsMarked() throws Exception {
        ObjectMapper j = new ObjectMapper();
        assertEquals(7, ModelScopeClient.size(j.readTree("7")));
        assertEquals(7, ModelScopeClient.size(j.readTree("\"7\"")));
        for (String bad : new String[] {"null", "1.5", "\"abc\"", "1e30", "{}"}) {
            assertEquals(RepoFile.UNREADABLE_SIZE, ModelScopeClient.size(j.readTree(bad)), bad);
        }
        assertEquals(RepoFile.UNREADABLE_SIZE, ModelScopeClient.size(j.readTree("{}").path("Size")), "missing");
    }

    // c. names
    @Test
    void namesThatMustNotBeWrittenAreRefused(@TempDir Path tmp) throws Exception {
        String[][] cases = {
                {VerifiedRecord.FILE, "named like llamagic's own bookkeeping"},
                {"sub/x.bin.llamagic-ranges", "named like llamagic's own bookkeeping"},
                {"x.llamagic-tmp", "named like llamagic's own bookkeeping"},
                {TargetLock.FILE, "named like llamagic's own bookkeeping"},
                {"._____temp/x", "inside the staging folder ._____temp"},
                {"a\nb.txt", "whose name holds a control character"},
                {"dir/", "whose name ends in '/'"},
                {"../up.txt", "whose path escapes"},
        };
        int i = 0;
        for (String[] c : cases) {
            try (LocalHub hub = new LocalHub().file("ok.txt", new byte[3]).entry(c[0], 10)) {
                Path out = tmp.resolve("o" + i++);
                String m = refused(hub, out);
                assertTrue(m.startsWith("refusing to download acme/m: the hub lists a file '"
                        + c[0].replace("\n", "\\n") + "' " + c[1]), m);
                assertFalse(Files.exists(out.resolve("ok.txt")));
            }
        }
    }

    // d. a symbolic link out of the target
    @Test
    void aSubdirectoryLinkedOutOfTheTargetIsNotFollowed(@TempDir Path tmp) throws Exception {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.createSymbolicLink(out.resolve("sub"), elsewhere);
        try (LocalHub hub = new LocalHub().file("sub/f.bin", new byte[10])) {
            String m = refused(hub, out);
            assertTrue(m.contains("is a symbolic link to " + elsewhere.toRealPath() + ", outside " + out), m);
            try (Stream<Path> s = Files.list(elsewhere)) {
                assertEquals(0, s.count());
            }
        }
        // a link that stays inside is fine
        Files.delete(out.resolve("sub"));
        Files.createDirectories(out.resolve("real"));
        Files.createSymbolicLink(out.resolve("sub"), out.resolve("real"));
        try (LocalHub hub = new LocalHub().file("sub/f.bin", new byte[10])) {
            run(hub, hub.options(out));
            assertTrue(Files.isRegularFile(out.resolve("real/f.bin")));
        }
        // the staging folder too
        Path out2 = Files.createDirectories(tmp.resolve("out2"));
        Files.createSymbolicLink(out2.resolve(Layout.TEMP), elsewhere);
        try (LocalHub hub = new LocalHub().file("f.bin", new byte[10])) {
            assertTrue(refused(hub, out2).contains("is a symbolic link to"));
        }
    }

    // e. one run per target directory
    @Test
    void aSecondRunIntoTheSameDirectorySaysWhoHoldsIt(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        try (LocalHub hub = new LocalHub().file("f.bin", new byte[10]); TargetLock held = TargetLock.acquire(out)) {
            String m = refused(hub, out);
            assertTrue(m.startsWith("another download into " + out.toAbsolutePath() + " is running (pid "
                    + ProcessHandle.current().pid() + " on "), m);
            assertFalse(Files.exists(out.resolve("f.bin")));
        }
        try (LocalHub hub = new LocalHub().file("f.bin", new byte[10])) {
            run(hub, hub.options(out)); // released
            assertTrue(Files.exists(out.resolve("f.bin")));
        }
    }

    // f. nothing empty left behind
    @Test
    void aSuccessfulRunLeavesNoTemporaryFilesOrEmptyStagingFolders(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        Path temp = out.resolve(Layout.TEMP);
        Files.createDirectories(temp.resolve("old/empty"));
        Files.createFile(temp.resolve("dir.llamagic-ranges.llamagic-tmp"));
        Files.createFile(out.resolve(".msc.llamagic-tmp"));
        Files.createFile(out.resolve(VerifiedRecord.FILE + ".llamagic-tmp"));
        try (LocalHub hub = new LocalHub().file("dir/deep/a.bin", LocalHub.bytes(3 << 20, 5)).file("b.txt", new byte[5])) {
            run(hub, hub.options(out));
        }
        try (Stream<Path> s = Files.walk(out)) {
            assertEquals(java.util.List.of(), s.filter(p -> p.toString().endsWith(".llamagic-tmp")).toList());
        }
        assertFalse(Files.exists(temp), "the staging folder is gone when empty");
        assertTrue(Files.isRegularFile(out.resolve("dir/deep/a.bin")));
    }

    @Test
    void aPartialFileOfAnotherFileStaysInStaging(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        Files.createDirectories(out.resolve(Layout.TEMP));
        Files.write(out.resolve(Layout.TEMP).resolve("other.bin"), new byte[7]);
        try (LocalHub hub = new LocalHub().file("b.txt", new byte[5])) {
            run(hub, hub.options(out));
        }
        assertTrue(Files.exists(out.resolve(Layout.TEMP).resolve("other.bin")));
    }
}
