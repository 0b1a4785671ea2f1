package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RangePlanTest {
    private static final long M = 1 << 20;

    @Test
    void smallFilesAreOneRange() {
        assertEquals(List.of(new RangePlan.Range(0, 99)), RangePlan.plan(100, 32 * M));
        assertEquals(1, RangePlan.plan(48 * M, 32 * M).size(), "up to 1.5 ranges stays one request");
        assertTrue(RangePlan.plan(0, 32 * M).isEmpty());
    }

    @Test
    void rangesCoverTheFileExactlyWithoutOverlap() {
        for (long size : new long[] {48 * M + 1, 64 * M, 64 * M + 1, 100 * M + 7, 3_957_900_840L}) {
            List<RangePlan.Range> rs = RangePlan.plan(size, 32 * M);
            assertEquals(0, rs.get(0).start());
            assertEquals(size - 1, rs.get(rs.size() - 1).end());
            for (int i = 1; i < rs.size(); i++) assertEquals(rs.get(i - 1).end() + 1, rs.get(i).start());
            long sum = rs.stream().mapToLong(RangePlan.Range::length).sum();
            assertEquals(size, sum);
            for (RangePlan.Range r : rs) assertTrue(r.length() >= 16 * M && r.length() < 48 * M, r.toString());
        }
    }

    @Test
    void smallTailJoinsTheLastRange() {
        List<RangePlan.Range> rs = RangePlan.plan(64 * M + 5, 32 * M);
        assertEquals(2, rs.size());
        assertEquals(32 * M + 5, rs.get(1).length());
        List<RangePlan.Range> big = RangePlan.plan(64 * M + 20 * M, 32 * M);
        assertEquals(3, big.size());
        assertEquals(20 * M, big.get(2).length());
    }

    @Test
    void parsesSizes() {
        assertEquals(32 * M, RangePlan.parseSize("32M"));
        assertEquals(32 * M, RangePlan.parseSize("32MiB"));
        assertEquals(1L << 30, RangePlan.parseSize("1g"));
        assertEquals(512 * 1024, RangePlan.parseSize("512k"));
        assertEquals(1000, RangePlan.parseSize("1000"));
        assertThrows(IllegalArgumentException.class, () -> RangePlan.parseSize("lots"));
        assertThrows(IllegalArgumentException.class, () -> RangePlan.parseSize("-1M"));
        assertEquals("not a size: '0' (e.g. 64M, 1G)",
                assertThrows(IllegalArgumentException.class, () -> RangePlan.parseSize("0")).getMessage());
        assertEquals("not a size: 'lots' (e.g. 64M, 1G)",
                assertThrows(IllegalArgumentException.class, () -> RangePlan.parseSize("lots")).getMessage());
    }

    @Test
    void spansGroupConsecutiveRangesAsEvenlyAsTheyCan() {
        assertEquals(java.util.List.of(new RangePlan.Span(0, 2), new RangePlan.Span(3, 5), new RangePlan.Span(6, 7),
                new RangePlan.Span(8, 9)), RangePlan.spans(10, 4));
        assertEquals(java.util.List.of(new RangePlan.Span(0, 0), new RangePlan.Span(1, 1)), RangePlan.spans(2, 4));
        assertEquals(java.util.List.of(new RangePlan.Span(0, 47)), RangePlan.spans(48, 1));
        assertEquals(java.util.List.of(), RangePlan.spans(0, 4));
    }
}
