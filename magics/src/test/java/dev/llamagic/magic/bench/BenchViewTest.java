package dev.llamagic.magic.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.engine.bench.BenchReport;
import dev.llamagic.engine.bench.BenchReportTest;
import dev.llamagic.engine.bench.BenchResult;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

class BenchViewTest {
    @TempDir
    Path dir;

    private static List<String> shownColumns(List<BenchResult> results) {
        RecordingNotebook nb = new RecordingNotebook();
        BenchView.show(nb, results, BenchReport.summary(results), BenchReport.requests(results), false);
        // the first block is the summary table as text: its first line names the table, the second the columns
        String header = nb.blocks.get(0).lines().skip(1).findFirst().orElseThrow();
        return List.of(header.split("\\|")).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void withoutAGpuTheGpuColumnsAndAnUnnamedServerAreNotShown() {
        List<String> shown = shownColumns(List.of(BenchReportTest.result("tiny-qwen3-F32", null, List.of(), 0)));
        assertEquals(List.of("model", "prompt tokens", "gen tokens", "concurrency", "requests", "prefill tok/s",
                "decode tok/s per request", "decode tok/s per request (server)", "decode tok/s aggregate", "TTFT p50 (ms)",
                "TTFT p95 (ms)", "e2e p50 (ms)", "e2e p95 (ms)"), shown);
    }

    @Test
    void filledColumnsStayAndTheModelColumnNamesTheFile() {
        RecordingNotebook nb = new RecordingNotebook();
        List<BenchResult> results = List.of(BenchReportTest.result("Qwen3-4B-Q4_K_M", "named-tiny", List.of("NVIDIA A10"), 3_000_000_000L));
        Table summary = BenchReport.summary(results);
        BenchView.show(nb, results, summary, BenchReport.requests(results), true);
        String table = nb.blocks.get(0);
        assertEquals("%bench", table.lines().findFirst().orElseThrow().trim());
        for (String c : List.of("model", "server", "GPU mem peak (MiB)", "% roofline")) assertTrue(table.contains(c), c);
        assertTrue(table.contains("Qwen3-4B-Q4_K_M") && table.contains("named-tiny"), table);
        // the legend explains the GPU figures when they are shown, and not when they are not
        assertTrue(nb.blocks.get(1).contains("GPU mem peak (MiB):"), nb.blocks.get(1));
        List<BenchResult> cpu = List.of(BenchReportTest.result("m", null, List.of(), 0));
        RecordingNotebook plain = new RecordingNotebook();
        BenchView.show(plain, cpu, BenchReport.summary(cpu), BenchReport.requests(cpu), false);
        assertTrue(plain.blocks.get(1).startsWith("what each column measured:"), plain.blocks.get(1));
        assertFalse(plain.blocks.get(1).contains("GPU mem peak"), plain.blocks.get(1));
        assertTrue(plain.blocks.get(1).contains("TTFT:") && plain.blocks.get(1).contains("n−1"), plain.blocks.get(1));
        // raw: the per-request table comes after the chart
        assertTrue(nb.blocks.get(nb.blocks.size() - 1).contains("predicted_per_second"));
    }

    @Test
    void aColumnFilledInOneRowStaysAndTheSavedCsvKeepsEveryColumn() throws Exception {
        // one model measured on a GPU, one not: the GPU columns stay, empty cells where there was none
        List<BenchResult> results = List.of(BenchReportTest.result("a", null, List.of("NVIDIA A10"), 1L << 30),
                BenchReportTest.result("b", null, List.of(), 0));
        Table summary = BenchReport.summary(results);
        Table shown = BenchView.withoutEmptyColumns(summary);
        assertTrue(shown.columnNames().contains(BenchReport.GPU_PEAK));
        assertFalse(shown.columnNames().contains(BenchReport.SERVER));
        assertEquals(summary.columnCount() - 1, shown.columnCount());
        assertEquals(summary.columnCount(), BenchReport.summary(results).columnCount(), "the data table is left as it was");
        Table back = BenchReport.load(BenchReport.save(summary, dir.resolve("b.csv")));
        assertEquals(summary.columnNames(), back.columnNames());
        Table none = Table.create("x");
        assertEquals(0, BenchView.withoutEmptyColumns(BenchReport.summary(List.of())).rowCount());
        assertEquals(none.columnCount(), BenchView.withoutEmptyColumns(none).columnCount());
    }

    @Test
    void chartIsSelfContainedSvg() {
        Table t = BenchReport.summary(List.of(BenchReportTest.result("a", null, List.of(), 0),
                BenchReportTest.result("b", null, List.of(), 0)));
        String svg = Charts.throughputVsConcurrency(t);
        assertTrue(svg.startsWith("<svg class=\"llamagic-chart\""));
        assertTrue(svg.contains("data-name=\"a\"") && svg.contains("data-name=\"b\""));
        assertFalse(svg.contains("<script"));
        assertEquals(2, svg.split("<polyline").length - 1);
        String legend = BenchView.legendHtml(BenchReport.LEGEND);
        assertTrue(legend.startsWith("<details class=\"llamagic-legend\"") && legend.contains("<dt><b>% roofline</b></dt>"));
    }
}
