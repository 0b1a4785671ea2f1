package dev.llamagic.magic;

import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandsTest {
    @TempDir
    Path home;

    private Context ctx(RecordingNotebook nb, String host) {
        return new Context(nb, Map.of("LLAMAGIC_HOME", home.toString()), host, null);
    }

    @Test
    void everyRegisteredCommandHasANameASummaryAndHelp() {
        List<Commands.Info> all = Commands.all();
        assertTrue(all.stream().anyMatch(i -> i.name().equals("llamagic")));
        for (Commands.Info i : all) {
            assertFalse(i.summary().isBlank(), i.name());
            RecordingNotebook nb = new RecordingNotebook();
            Commands.run(i, List.of("--help"), null, ctx(nb, "JJava test"));
            assertTrue(nb.all().contains("Usage: " + i.name()), nb.all());
        }
    }

    @Test
    void anUnknownFlagIsOneLineNamingTheMagic() {
        RecordingNotebook nb = new RecordingNotebook();
        UserError e = assertThrows(UserError.class,
                () -> Commands.run(Commands.find("llamagic"), List.of("--bogus"), null, ctx(nb, "JJava test")));
        assertEquals("%llamagic: Unknown option: '--bogus' (see %llamagic --help)", e.getMessage());
        assertEquals(0, e.getStackTrace().length, "no stack trace for the user's mistakes");
    }

    @Test
    void inATerminalTheCommandIsNamedWithoutPercent() {
        UserError e = assertThrows(UserError.class, () -> Commands.run(Commands.find("llamagic"),
                List.of("--bogus"), null, ctx(new RecordingNotebook(), "terminal")));
        assertTrue(e.getMessage().startsWith("llamagic: "), e.getMessage());
    }

    @Test
    void llamagicListsItselfAndTheVersions() {
        RecordingNotebook nb = new RecordingNotebook();
        Commands.run(Commands.find("llamagic"), List.of(), null, ctx(nb, "JJava 9"));
        assertTrue(nb.all().contains("%llamagic"));
        assertTrue(nb.all().contains("JJava 9"));
        assertTrue(nb.all().contains(home.toString()));
    }

    @Test
    void anUnexpectedFailureIsOneLineWithTheLogPath() {
        Context c = ctx(new RecordingNotebook(), "JJava test");
        Path log = c.logError("%x", new IllegalStateException("boom"));
        assertTrue(Files.exists(log));
        assertTrue(log.startsWith(home));
    }

    @Test
    void unknownCommand() {
        UserError e = assertThrows(UserError.class, () -> Commands.find("nope"));
        assertTrue(e.getMessage().contains("unknown command 'nope'"));
    }

    /** Sleeps until interrupted, then takes STOPPING_MS to stop (as a download saving its resume state does). */
    @picocli.CommandLine.Command(name = "slow-stop", description = "test: stops slowly")
    static final class SlowStop extends MagicCommand {
        static final long STOPPING_MS = 1500;
        static final CountDownLatch started = new CountDownLatch(1);
        static final AtomicLong stoppedAt = new AtomicLong();

        @Override
        protected void run() throws Exception {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } finally {
                long t = System.nanoTime();
                while (System.nanoTime() - t < STOPPING_MS * 1_000_000) {
                    Thread.onSpinWait();
                }
                stoppedAt.set(System.nanoTime());
            }
        }
    }

    @Test
    void theNextCommandWaitsForAnInterruptedOneToFinishStopping() throws Exception {
        Commands.Info slow = new Commands.Info("slow-stop", "test", false, SlowStop.class);
        List<Throwable> thrown = new ArrayList<>();
        Thread cell = new Thread(() -> {
            try {
                Commands.run(slow, List.of(), null, ctx(new RecordingNotebook(), "JJava test"));
            } catch (Throwable t) {
                thrown.add(t);
            }
        });
        cell.start();
        assertTrue(SlowStop.started.await(10, TimeUnit.SECONDS));
        cell.interrupt(); // what JJava does on interrupt_request, before answering the cell at once

        // a cell that waits can be interrupted itself: it gives up without running
        RecordingNotebook quitterNb = new RecordingNotebook();
        List<Throwable> quitterThrown = new ArrayList<>();
        Thread quitter = new Thread(() -> {
            try {
                Commands.run(Commands.find("llamagic"), List.of(), null, ctx(quitterNb, "JJava test"));
            } catch (Throwable t) {
                quitterThrown.add(t);
            }
        });
        quitter.start();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!quitterNb.all().contains("waiting for") && System.nanoTime() < deadline) Thread.sleep(10);
        quitter.interrupt();
        quitter.join(5_000);
        assertEquals(1, quitterThrown.size());
        assertTrue(quitterThrown.get(0) instanceof Interrupted, quitterThrown.toString());
        assertEquals(List.of("waiting for the interrupted %slow-stop to finish stopping … (interrupt this cell to give up)"),
                quitterNb.lines);
        assertTrue(SlowStop.stoppedAt.get() == 0, "the other was still stopping");

        RecordingNotebook next = new RecordingNotebook();
        Commands.run(Commands.find("llamagic"), List.of(), null, ctx(next, "JJava test"));
        long ranAt = System.nanoTime();
        assertTrue(SlowStop.stoppedAt.get() > 0 && SlowStop.stoppedAt.get() < ranAt, "ran only after the other had stopped");
        assertEquals("waiting for the interrupted %slow-stop to finish stopping … (interrupt this cell to give up)", next.lines.get(0));
        cell.join(10_000);
        assertEquals(1, thrown.size());
        assertTrue(thrown.get(0) instanceof Interrupted, thrown.toString());
        // nobody waits when nothing is stopping
        RecordingNotebook again = new RecordingNotebook();
        Commands.run(Commands.find("llamagic"), List.of(), null, ctx(again, "JJava test"));
        assertFalse(again.all().contains("waiting for"), again.all());
    }
}
