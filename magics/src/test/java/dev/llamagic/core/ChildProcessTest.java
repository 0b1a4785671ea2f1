package dev.llamagic.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildProcessTest {
    @TempDir
    Path dir;

    @Test
    void outputGoesToTheLogTheListenerAndTheTail() throws Exception {
        Path log = dir.resolve("logs/x.log");
        StringBuilder seen = new StringBuilder();
        try (ChildProcess p = ChildProcess.start(List.of("bash", "-c", "for i in 1 2 3; do echo line$i; done; echo err >&2; exit 3"),
                dir, Map.of(), log, l -> seen.append(l).append(','))) {
            assertEquals(3, p.waitFor(null, "test"));
            assertEquals(List.of("line3", "err"), p.tail(2));
        }
        assertEquals("line1,line2,line3,err,", seen.toString());
        assertEquals("line1\nline2\nline3\nerr\n", Files.readString(log));
    }

    @Test
    void anInterruptKillsTheWholeTree() throws Exception {
        Path pids = dir.resolve("pids");
        Context ctx = new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", dir.toString()), "test", null);
        ChildProcess p = ChildProcess.start(List.of("bash", "-c",
                "sleep 300 & echo $! >> " + pids + "; (sleep 300 & echo $! >> " + pids + "; wait) & wait"),
                dir, null, null, null);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                p.waitFor(ctx, "the sleeper");
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((!Files.exists(pids) || Files.readAllLines(pids).size() < 2) && System.nanoTime() < deadline) Thread.sleep(20);
        List<Long> grandchildren = Files.readAllLines(pids).stream().map(Long::parseLong).toList();
        t.interrupt();
        t.join(10_000);
        assertTrue(thrown.get() instanceof Interrupted, String.valueOf(thrown.get()));
        assertEquals("the sleeper was interrupted", thrown.get().getMessage());
        assertTrue(ctx.cancelled());
        assertFalse(p.isAlive());
        for (long pid : grandchildren) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "grandchild " + pid + " still runs");
        }
    }

    @Test
    void runCapturesOutputAndBoundsTime() throws Exception {
        ChildProcess.Result r = ChildProcess.run(List.of("echo", "hi"), null, Duration.ofSeconds(10));
        assertTrue(r.ok());
        assertEquals("hi\n", r.output());
        UserError e = assertThrows(UserError.class, () -> ChildProcess.run(List.of("sleep", "30"), null, Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("did not answer"), e.getMessage());
    }

    @Test
    void firstAndLastNonBlankLinesOfAResult() {
        ChildProcess.Result r = new ChildProcess.Result(1, "\n  \n  first one  \nmiddle\n last \n\t\n");
        assertEquals("first one", r.firstLine("(no output)"));
        assertEquals("last", r.lastLine("no output"));
        ChildProcess.Result blank = new ChildProcess.Result(1, " \n\n");
        assertEquals("(no output)", blank.firstLine("(no output)"));
        assertEquals("no output", blank.lastLine("no output"));
    }

    @Test
    void aMissingProgramIsOneLine() {
        UserError e = assertThrows(UserError.class, () -> ChildProcess.start(List.of("no-such-program-xyz"), null, null, null, null));
        assertTrue(e.getMessage().startsWith("cannot run no-such-program-xyz"), e.getMessage());
    }
}
