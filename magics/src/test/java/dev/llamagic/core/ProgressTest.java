package dev.llamagic.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private final AtomicLong now = new AtomicLong();
    private final RecordingNotebook nb = new RecordingNotebook();

    @Test
    void redrawsAreThrottledAndTheFinalStateIsAlwaysDrawn() {
        Progress p = new Progress(nb, "download", 1000, Progress.Unit.BYTES, now::get);
        for (int i = 1; i <= 100; i++) {
            now.addAndGet(10_000_000L); // 10 ms apart: 1 s in all
            p.set(i * 5);
        }
        p.finish("ok");
        List<String> states = nb.lives.get(0);
        // the first draw, 4 in one second (250 ms apart), the final one
        assertEquals(6, states.size(), states.toString());
        String last = nb.lastLive();
        assertTrue(last.contains("100%"), last);
        assertTrue(last.contains("done"), last);
        assertTrue(last.contains("1000 B / 1000 B"), last);
    }

    @Test
    void closingARunningBarMarksItStopped() {
        Progress p = new Progress(nb, "build", 10, Progress.Unit.STEPS, now::get);
        p.set(3);
        p.close();
        String last = nb.lastLive();
        assertTrue(last.contains("FAILED") && last.contains("stopped") && last.contains("3 / 10"), last);
        p.finish();
        assertEquals(last, nb.lastLive(), "a finished bar is never redrawn");
    }

    @Test
    void rateAndEtaForBytes() {
        Progress p = new Progress(nb, "dl", 4L << 30, Progress.Unit.BYTES, now::get);
        now.addAndGet(2_000_000_000L);
        p.set(1L << 30);
        String s = nb.lives.get(0).get(1);
        assertTrue(s.contains("512 MiB/s"), s);
        assertTrue(s.contains("ETA 6.0 s"), s);
        assertTrue(s.contains("25%"), s);
    }

    @Test
    void workDecidesTheBarAndTheEtaWhileTheCountsShowSteps() {
        Progress p = new Progress(nb, "build", 40, Progress.Unit.STEPS, now::get);
        p.set(30);
        now.addAndGet(100_000_000_000L);
        p.work(30, 98); // the 10 steps left cost 68
        String s = nb.lastLive();
        assertTrue(s.contains("30 / 40") && s.contains("31%") && s.contains("ETA 3 min 47 s"), s);
        p.work(0, 0); // no work measure: the steps again
        now.addAndGet(1_000_000_000L);
        p.set(30);
        assertTrue(nb.lastLive().contains("75%"), nb.lastLive());
        p.work(98, 98);
        p.finish();
        String done = nb.lastLive();
        assertTrue(done.contains("100%") && done.contains("done") && !done.contains("ETA"), done);
    }

    @Test
    void unknownTotalEndsFull() {
        Progress p = new Progress(nb, "x", 0, Progress.Unit.COUNT, now::get);
        p.set(7);
        p.finish();
        String last = nb.lastLive();
        assertTrue(last.contains("100%") && last.contains("7 / 7"), last);
    }
}
