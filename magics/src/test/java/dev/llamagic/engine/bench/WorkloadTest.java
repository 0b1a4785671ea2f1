package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class WorkloadTest {
    @Test
    void standardOnABigServerRunsEverything() {
        Workload.Plan p = Workload.standard().plan(8, 4096);
        assertEquals(12, p.cases().size());
        assertEquals(3 * (1 + 2 + 4 + 8) * 3, p.requests());
        assertTrue(p.notes().isEmpty());
        assertEquals(new Workload.Case(128, 128, 1), p.cases().get(0));
        assertEquals(new Workload.Case(2048, 128, 8), p.cases().get(11));
    }

    @Test
    void concurrencyIsCappedAtTheSlots() {
        Workload.Plan p = Workload.standard().plan(4, 4096);
        assertEquals(List.of(1, 2, 4), p.cases().stream().filter(c -> c.promptTokens() == 128).map(Workload.Case::concurrency).toList());
        assertTrue(p.notes().get(0).contains("concurrency 8 left out: the server has 4 slots"), p.notes().toString());
        Workload.Plan one = Workload.standard().plan(1, 4096);
        assertEquals(3, one.cases().size());
    }

    @Test
    void casesThatDoNotFitASlotAreSkippedWithANote() {
        Workload.Plan p = Workload.standard().plan(4, 1024);
        assertEquals(List.of(128, 512), p.cases().stream().map(Workload.Case::promptTokens).distinct().toList());
        assertTrue(p.notes().stream().anyMatch(n -> n.contains("prompt 2048 + generation 128 tokens left out: one slot holds 1024")));
        assertTrue(Workload.standard().plan(4, 100).cases().isEmpty());
    }

    @Test
    void unknownLimitsRunEverything() {
        assertEquals(12, Workload.standard().plan(0, 0).cases().size());
    }

    @Test
    void quickAndOverrides() {
        Workload q = Workload.quick();
        assertEquals(2 * (1 + 2 + 4) * 2, q.plan(4, 1024).requests());
        assertEquals(256 + 32, q.maxSequence());
        Workload w = q.withPrompts(List.of(10)).withGen(List.of(5)).withConcurrency(List.of(3)).withRepetitions(1);
        assertEquals(List.of(new Workload.Case(10, 5, 3)), w.plan(4, 100).cases());
        assertThrows(IllegalArgumentException.class, () -> q.withGen(List.of(1)));
        assertThrows(IllegalArgumentException.class, () -> q.withRepetitions(0));
    }

    @Test
    void promptsAreExactAndDifferPerRequest() {
        List<Integer> text = List.of(1, 2, 3, 4, 5, 6, 7);
        List<Integer> a = BenchRunner.promptOf(text, 20, 1);
        List<Integer> b = BenchRunner.promptOf(text, 20, 2);
        assertEquals(20, a.size());
        assertTrue(!a.equals(b));
    }
}
