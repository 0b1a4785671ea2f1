package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BurstTest {
    @Test
    void aClientRateFarAboveTheServersIsABurstNotAMeasurement() {
        assertTrue(BenchRunner.burst(13289.8, 520.0));
        assertFalse(BenchRunner.burst(510.0, 520.0));
        assertFalse(BenchRunner.burst(700.0, 520.0), "within the 1.5x margin: timer jitter, still a measurement");
        assertFalse(BenchRunner.burst(Double.NaN, 520.0));
        assertFalse(BenchRunner.burst(900.0, 0.0), "no server figure: nothing to compare with");
    }
}
