package dev.llamagic.engine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.ChildProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The wrapper that ties a server to this JVM: it dies when the lifeline pipe closes, and not before. */
class LifelineTest {

    private static ChildProcess wrapped(String... program) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", LlamaServer.WRAPPER, "llamagic-serve"));
        cmd.addAll(List.of(program));
        return ChildProcess.startWithLifeline(cmd, null, null, null, null);
    }

    @Test
    void theProgramRunsInThePlaceOfTheWrapper() throws Exception {
        try (ChildProcess p = wrapped("sleep", "300")) {
            Thread.sleep(500);
            String comm = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + p.pid() + "/comm")).strip();
            assertEquals("sleep", comm, "exec: the pid we hold is the program's");
        }
    }

    @Test
    void closingTheLifelineKillsTheProgram() throws Exception {
        ChildProcess p = wrapped("sleep", "300");
        Thread.sleep(3000);
        assertTrue(p.isAlive(), "alive while the pipe is open (the watcher's read times out and goes on)");
        // what the OS does when this JVM dies, however: the pipe's only write end closes
        p.process().getOutputStream().close();
        assertTrue(p.process().waitFor(10, TimeUnit.SECONDS), "the program died when the lifeline closed");
        p.close();
    }

    @Test
    void aProgramThatIgnoresTermIsKilled() throws Exception {
        ChildProcess p = wrapped("bash", "-c", "trap '' TERM; while true; do sleep 0.1; done");
        Thread.sleep(500);
        p.process().getOutputStream().close();
        assertTrue(p.process().waitFor(15, TimeUnit.SECONDS), "SIGKILL after the grace period");
        p.close();
    }

    @Test
    void theWatcherEndsWhenTheProgramExitsByItself() throws Exception {
        ChildProcess p = wrapped("bash", "-c", "echo $$; exit 3");
        assertEquals(3, p.waitFor(null, "test"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
        // the watcher (a child of the exited program, reparented) polls every 2 s
        List<ProcessHandle> left;
        do {
            Thread.sleep(200);
            left = ProcessHandle.allProcesses().filter(h -> h.info().arguments().map(args -> args.length > 0
                    && String.join(" ", args).contains("llamagic-serve") && String.join(" ", args).contains("exit 3")).orElse(false))
                    .toList();
        } while (!left.isEmpty() && System.nanoTime() < deadline);
        assertFalse(left.stream().anyMatch(ProcessHandle::isAlive), "no watcher left: " + left);
    }
}
