package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

public class BenchReportTest {
    @TempDir
    Path dir;

    static BenchResult.Request req(int i, double ttft, double tps, double serverTps) {
        return new BenchResult.Request(i, ttft, ttft + 1000, 31000 / tps, 31, tps,
                new BenchResult.Timings(0, 64, 10, 6400, 32, 31000 / serverTps, serverTps));
    }

    static BenchResult result(String model, List<String> gpus, long bytes) {
        return result(model, null, gpus, bytes);
    }

    /** Two cases (prompt 64 at concurrency 1 and 2) with known figures; a GPU peak only where {@code gpus} has a GPU. */
    public static BenchResult result(String model, String server, List<String> gpus, long bytes) {
        Workload w = Workload.quick().withPrompts(List.of(64)).withConcurrency(List.of(1, 2));
        Workload.Plan plan = w.plan(4, 1024);
        List<BenchResult.CaseResult> cases = List.of(
                new BenchResult.CaseResult(plan.cases().get(0), List.of(
                        new BenchResult.Batch(1, List.of(req(0, 10, 100, 101)), 100),
                        new BenchResult.Batch(2, List.of(req(0, 30, 110, 111)), 110)), gpus.isEmpty() ? OptionalLong.empty() : OptionalLong.of(9000)),
                new BenchResult.CaseResult(plan.cases().get(1), List.of(
                        new BenchResult.Batch(1, List.of(req(0, 10, 90, 91), req(1, 20, 80, 81)), 160),
                        new BenchResult.Batch(2, List.of(req(0, 30, 90, 91), req(1, 40, 80, 81)), 170)), OptionalLong.empty()));
        return new BenchResult(model, server, "http://127.0.0.1:1", w, plan, new BenchResult.Server(4, 1024, "", ""), cases, gpus,
                Roofline.bandwidth(gpus), null, bytes);
    }

    @Test
    void summaryFigures() {
        Table t = BenchReport.summary(List.of(result("m", List.of("NVIDIA A10"), 3_000_000_000L)));
        assertEquals(2, t.rowCount());
        assertEquals(List.of("model", "server", "prompt tokens", "gen tokens", "concurrency", "requests", "prefill tok/s",
                "decode tok/s per request", "decode tok/s per request (server)", "decode tok/s aggregate", "TTFT p50 (ms)",
                "TTFT p95 (ms)", "e2e p50 (ms)", "e2e p95 (ms)", "GPU mem peak (MiB)", "% roofline"), t.columnNames());
        assertEquals(105.0, t.doubleColumn(BenchReport.DECODE).getDouble(0), 1e-9);
        assertEquals(106.0, t.doubleColumn(BenchReport.DECODE_SERVER).getDouble(0), 1e-9);
        assertEquals(105.0, t.doubleColumn(BenchReport.AGGREGATE).getDouble(0), 1e-9);
        assertEquals(20.0, t.doubleColumn(BenchReport.TTFT_P50).getDouble(0), 1e-9);
        assertEquals(29.0, t.doubleColumn(BenchReport.TTFT_P95).getDouble(0), 1e-9);
        assertEquals(4, t.intColumn(BenchReport.REQUESTS).getInt(1));
        assertEquals(9000L, t.longColumn(BenchReport.GPU_PEAK).get(0));
        assertTrue(t.longColumn(BenchReport.GPU_PEAK).isMissing(1));
        // 3 GB × 105 tok/s = 315 GB/s of 600 GB/s
        assertEquals(52.5, t.doubleColumn(BenchReport.ROOFLINE).getDouble(0), 1e-9);
    }

    @Test
    void aBurstLeavesTheClientRateEmptyAndTheRooflineUsesTheServers() {
        Workload w = Workload.quick().withPrompts(List.of(64)).withConcurrency(List.of(1));
        Workload.Plan plan = w.plan(4, 1024);
        BenchResult.Request burst = new BenchResult.Request(0, 10, 1010, 2, 31, Double.NaN,
                new BenchResult.Timings(0, 64, 10, 6400, 32, 31000 / 120.0, 120));
        BenchResult r = new BenchResult("m", null, "http://127.0.0.1:1", w, plan, new BenchResult.Server(4, 1024, "", ""),
                List.of(new BenchResult.CaseResult(plan.cases().get(0), List.of(new BenchResult.Batch(1, List.of(burst), Double.NaN)),
                        OptionalLong.empty())), List.of("NVIDIA A10"), Roofline.bandwidth(List.of("NVIDIA A10")), null, 3_000_000_000L);
        Table t = BenchReport.summary(List.of(r));
        assertTrue(t.doubleColumn(BenchReport.DECODE).isMissing(0));
        assertTrue(t.doubleColumn(BenchReport.AGGREGATE).isMissing(0));
        assertEquals(120.0, t.doubleColumn(BenchReport.DECODE_SERVER).getDouble(0), 1e-9);
        // 3 GB × 120 tok/s = 360 GB/s of 600 GB/s
        assertEquals(60.0, t.doubleColumn(BenchReport.ROOFLINE).getDouble(0), 1e-9);
    }

    @Test
    void unknownGpuLeavesRooflineEmpty() {
        Table t = BenchReport.summary(List.of(result("m", List.of("Mystery"), 3_000_000_000L)));
        assertTrue(t.doubleColumn(BenchReport.ROOFLINE).isMissing(0));
        Table none = BenchReport.summary(List.of(result("m", List.of(), 3_000_000_000L)));
        assertTrue(none.doubleColumn(BenchReport.ROOFLINE).isMissing(0));
    }

    @Test
    void csvRoundTrip() throws Exception {
        Table t = BenchReport.summary(List.of(result("a", List.of("NVIDIA A10"), 1L << 30), result("b", List.of(), 0)));
        Path csv = BenchReport.save(t, dir.resolve("out/bench.csv"));
        Table back = BenchReport.load(csv);
        assertEquals(t.columnNames(), back.columnNames());
        assertEquals(t.rowCount(), back.rowCount());
        assertEquals(t.doubleColumn(BenchReport.DECODE).asList(), back.numberColumn(BenchReport.DECODE).asList().stream()
                .map(n -> ((Number) n).doubleValue()).toList());
        assertTrue(back.column(BenchReport.ROOFLINE).isMissing(2));
        assertEquals(dir.resolve("out/bench.requests.csv"), BenchReport.requestsPath(csv));
        Table reqs = BenchReport.requests(List.of(result("a", List.of(), 0)));
        assertEquals(6, reqs.rowCount());
        assertTrue(reqs.columnNames().contains("predicted_per_second"));
    }

    @Test
    void legendCoversEveryFigureColumn() {
        String legend = BenchReport.legendText();
        for (String c : List.of(BenchReport.PREFILL, BenchReport.DECODE, BenchReport.AGGREGATE, BenchReport.GPU_PEAK, BenchReport.ROOFLINE, "TTFT", "e2e")) {
            assertTrue(legend.contains(c + ":"), c);
        }
        assertTrue(legend.contains("n−1"));
    }

    @Test
    void llamaBenchRows() throws Exception {
        Table t = LlamaBench.emptyTable("m.gguf");
        LlamaBench.addRow(t, new ObjectMapper().readTree("{\"model_type\":\"qwen3 ?B F32\",\"model_size\":39845888,"
                + "\"model_n_params\":9961472,\"backends\":\"CPU\",\"n_gpu_layers\":99,\"n_threads\":2,\"n_prompt\":512,"
                + "\"n_gen\":0,\"n_depth\":0,\"avg_ts\":1234.567,\"stddev_ts\":12.3456,\"build_commit\":\"abc\",\"build_number\":1}"));
        assertEquals("pp512", t.stringColumn("test").get(0));
        assertEquals(1234.57, t.doubleColumn("t/s").getDouble(0), 1e-9);
        assertEquals("tg128", LlamaBench.testName(0, 128, 0));
        assertEquals("pp512+tg128 @ d4096", LlamaBench.testName(512, 128, 4096));
    }
}
