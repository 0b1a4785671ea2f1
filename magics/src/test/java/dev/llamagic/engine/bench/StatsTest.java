package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void percentilesInterpolateLinearlyLikeNumpy() {
        List<Double> v = List.of(40.0, 10.0, 30.0, 20.0);
        assertEquals(25.0, Stats.percentile(v, 50).getAsDouble(), 1e-12);
        // numpy.percentile([10,20,30,40], 95) == 38.5
        assertEquals(38.5, Stats.percentile(v, 95).getAsDouble(), 1e-12);
        assertEquals(10.0, Stats.percentile(v, 0).getAsDouble(), 1e-12);
        assertEquals(40.0, Stats.percentile(v, 100).getAsDouble(), 1e-12);
        assertEquals(7.0, Stats.percentile(List.of(7.0), 95).getAsDouble(), 1e-12);
        // numpy.percentile(range(1, 21), 95) == 19.05
        List<Double> twenty = java.util.stream.IntStream.rangeClosed(1, 20).mapToObj(i -> (double) i).toList();
        assertEquals(19.05, Stats.percentile(twenty, 95).getAsDouble(), 1e-9);
        assertTrue(Stats.percentile(List.of(), 50).isEmpty());
    }

    @Test
    void mean() {
        assertEquals(2.0, Stats.mean(List.of(1.0, 2.0, 3.0)).getAsDouble(), 1e-12);
        assertTrue(Stats.mean(List.of()).isEmpty());
    }
}
