package dev.llamagic.engine.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GpuSamplerTest {

    @Test
    void keepsThePeakOfTheSumOverGpusAndStopsWhenClosed() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        long[] used = {1000, 5000, 3000};
        GpuSampler s = new GpuSampler(() -> {
            int i = calls.getAndIncrement();
            long u = used[Math.min(i, used.length - 1)];
            return List.of(new Gpu(0, "A", u, 8000L, null, null, null), new Gpu(1, "A", 100L, 8000L, null, null, null));
        }, List.of(new Gpu(0, "A", 500L, 8000L, null, null, null)), Duration.ofMillis(10), Duration.ofMinutes(1));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (calls.get() < 4 && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(OptionalLong.of(5100), s.peak());
        s.close();
        assertFalse(s.running());
        int after = calls.get();
        Thread.sleep(50);
        assertEquals(after, calls.get(), "no sampling after close");
    }

    @Test
    void windowsReset() {
        long[] now = {1000};
        GpuSampler s = new GpuSampler(() -> List.of(new Gpu(0, "A", now[0], 8000L, null, null, null)), List.of(),
                Duration.ofHours(1), Duration.ofHours(1));
        now[0] = 7000;
        assertEquals(OptionalLong.of(7000), s.takeWindowPeak());
        now[0] = 2000;
        assertEquals(OptionalLong.of(2000), s.takeWindowPeak());
        assertEquals(OptionalLong.of(7000), s.peak());
        s.close();
    }

    @Test
    void stopsOnItsOwnAfterTheLimit() throws Exception {
        GpuSampler s = new GpuSampler(() -> List.of(), List.of(), Duration.ofMillis(5), Duration.ofMillis(30));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (s.running() && System.nanoTime() < deadline) Thread.sleep(5);
        assertFalse(s.running());
        s.close();
    }

    @Test
    void withoutAGpuItIsInactive() {
        try (GpuSampler s = GpuSampler.start(Map.of("PATH", "/nonexistent"))) {
            assertFalse(s.active());
            assertTrue(s.takeWindowPeak().isEmpty());
            assertTrue(s.peak().isEmpty());
        }
    }
}
