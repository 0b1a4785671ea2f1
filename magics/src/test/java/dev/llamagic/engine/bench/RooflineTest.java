package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RooflineTest {

    private static double gbs(String name) {
        return Roofline.bandwidth(name).orElseThrow(() -> new AssertionError("unknown: " + name)).gbPerSecond();
    }

    @Test
    void knownGpusByTheirNvidiaSmiNames() {
        assertEquals(600, gbs("NVIDIA A10"));
        assertEquals(320, gbs("Tesla T4"));
        assertEquals(900, gbs("Tesla V100-SXM2-32GB"));
        assertEquals(732, gbs("Tesla P100-PCIE-16GB"));
        assertEquals(549, gbs("Tesla P100-PCIE-12GB"));
        assertEquals(672, gbs("Quadro RTX 6000"));
        assertEquals(960, gbs("NVIDIA RTX 6000 Ada Generation"));
        assertEquals(1555, gbs("NVIDIA A100-SXM4-40GB"));
        assertEquals(1555, gbs("NVIDIA A100-PCIE-40GB"));
        assertEquals(2039, gbs("NVIDIA A100-SXM4-80GB"));
        assertEquals(1935, gbs("NVIDIA A100 80GB PCIe"));
        assertEquals(3350, gbs("NVIDIA H100 80GB HBM3"));
        assertEquals(2000, gbs("NVIDIA H100 PCIe"));
        assertEquals(4800, gbs("NVIDIA H200"));
        assertEquals(300, gbs("NVIDIA L4"));
        assertEquals(864, gbs("NVIDIA L20"));
    }

    @Test
    void unknownGpusGetNothing() {
        assertTrue(Roofline.bandwidth("NVIDIA GeForce GTX 1080").isEmpty());
        assertTrue(Roofline.bandwidth("NVIDIA A100").isEmpty(), "an A100 of unknown memory is not guessed");
        assertTrue(Roofline.bandwidth("").isEmpty());
        assertTrue(Roofline.bandwidth(List.of("NVIDIA A10", "Tesla T4")).isEmpty(), "mixed GPUs");
        assertTrue(Roofline.percent(1_000_000_000L, 100, Roofline.bandwidth("Mystery GPU")).isEmpty());
    }

    @Test
    void percentOfRoofline() {
        // 8 GB of weights at 60 tok/s reads 480 GB/s: 80 % of an A10's 600 GB/s
        assertEquals(80.0, Roofline.percent(8_000_000_000L, 60, Roofline.bandwidth("NVIDIA A10")).getAsDouble(), 1e-9);
        assertEquals(50.0, Roofline.percent(4_000_000_000L, 600, Roofline.bandwidth(List.of("NVIDIA H200", "NVIDIA H200"))).getAsDouble(), 1e-9);
        assertTrue(Roofline.percent(0, 60, Roofline.bandwidth("NVIDIA A10")).isEmpty(), "no model file");
        assertTrue(Roofline.percent(1, Double.NaN, Roofline.bandwidth("NVIDIA A10")).isEmpty());
    }

    @Test
    void everyEntryCitesASource() {
        for (Roofline.Bandwidth b : Roofline.KNOWN) assertTrue(b.source().contains("NVIDIA"), b.gpu());
    }
}
