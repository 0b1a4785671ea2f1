package dev.llamagic.engine.bench;

import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

/**
 * {@code %bench}'s tables: one summary row per workload case (and model), one row per request with the
 * server's own {@code timings} beside the client's clock, the legend that says what every column measured,
 * and CSV files that load back into a Tablesaw {@link Table} with {@link #load(Path)}.
 */
public final class BenchReport {
    private BenchReport() {}

    public static final String MODEL = "model";
    public static final String SERVER = "server";
    public static final String PROMPT = "prompt tokens";
    public static final String GEN = "gen tokens";
    public static final String CONCURRENCY = "concurrency";
    public static final String REQUESTS = "requests";
    public static final String PREFILL = "prefill tok/s";
    public static final String DECODE = "decode tok/s per request";
    public static final String DECODE_SERVER = "decode tok/s per request (server)";
    public static final String AGGREGATE = "decode tok/s aggregate";
    public static final String TTFT_P50 = "TTFT p50 (ms)";
    public static final String TTFT_P95 = "TTFT p95 (ms)";
    public static final String E2E_P50 = "e2e p50 (ms)";
    public static final String E2E_P95 = "e2e p95 (ms)";
    public static final String GPU_PEAK = "GPU mem peak (MiB)";
    public static final String ROOFLINE = "% roofline";

    /** What each summary column measured: printed under the table, and in README. */
    public static final List<String[]> LEGEND = List.of(
            new String[] {PROMPT, "exactly this many prompt tokens per request: token ids from the server's /tokenize, sent as a token array to /completion with cache_prompt:false (so prefill is never skipped; the server's prompt_n is checked)"},
            new String[] {GEN, "tokens generated per request: n_predict with ignore_eos, so every request generates exactly this many"},
            new String[] {CONCURRENCY, "requests started together (a batch); repeated, each batch a fresh set of prompts"},
            new String[] {REQUESTS, "requests measured in this row (concurrency × repetitions)"},
            new String[] {PREFILL, "server timings: prompt_n ÷ prompt_ms (the slot's prompt processing), mean over the row's requests"},
            new String[] {DECODE, "client clock: tokens after the first ÷ time from the first streamed token to the last (final event), mean over requests; counts n−1 tokens over the same interval as llama-server's predicted_per_second; a request whose events arrived in a burst (client rate > 1.5 × the server's) is left out, and so is its batch from the aggregate"},
            new String[] {DECODE_SERVER, "server timings: predicted_per_second = (predicted_n − 1) ÷ predicted_ms, mean over the same requests"},
            new String[] {AGGREGATE, "client clock: Σ tokens after each request's first ÷ (earliest first token → latest last token) of one batch, mean over repetitions"},
            new String[] {"TTFT", "client clock: request sent → first streamed token; p50/p95 by linear interpolation over the row's requests (includes prefill and queueing)"},
            new String[] {"e2e", "client clock: request sent → response complete; p50/p95 as for TTFT"},
            new String[] {GPU_PEAK, "highest sum of nvidia-smi memory.used over all GPUs, sampled every 0.5 s while the row ran (the whole GPU, not only this server); empty without an NVIDIA GPU"},
            new String[] {ROOFLINE, "GGUF bytes × decode tok/s per request (the server's figure where the client's is empty) ÷ the GPU's datasheet memory bandwidth: each decode step reads every weight once (KV-cache reads ignored); empty when the GPU or the model file is unknown"});

    /** One row per (model, prompt, generation, concurrency). */
    public static Table summary(List<BenchResult> results) {
        Table t = Table.create("bench summary",
                StringColumn.create(MODEL), StringColumn.create(SERVER), IntColumn.create(PROMPT), IntColumn.create(GEN),
                IntColumn.create(CONCURRENCY), IntColumn.create(REQUESTS), DoubleColumn.create(PREFILL), DoubleColumn.create(DECODE),
                DoubleColumn.create(DECODE_SERVER), DoubleColumn.create(AGGREGATE),
                DoubleColumn.create(TTFT_P50), DoubleColumn.create(TTFT_P95), DoubleColumn.create(E2E_P50),
                DoubleColumn.create(E2E_P95), LongColumn.create(GPU_PEAK), DoubleColumn.create(ROOFLINE));
        for (BenchResult r : results) {
            for (BenchResult.CaseResult c : r.cases()) {
                List<BenchResult.Request> reqs = new ArrayList<>();
                c.batches().forEach(b -> reqs.addAll(b.requests()));
                List<Double> ttft = reqs.stream().map(BenchResult.Request::ttftMs).toList();
                List<Double> e2e = reqs.stream().map(BenchResult.Request::e2eMs).toList();
                OptionalDouble decode = Stats.mean(reqs.stream().map(BenchResult.Request::clientDecodeTps).filter(Double::isFinite).toList());
                OptionalDouble decodeServer = Stats.mean(reqs.stream().map(q -> q.server().predictedPerSecond()).toList());
                t.stringColumn(MODEL).append(r.model());
                t.stringColumn(SERVER).append(r.serverName() == null ? "" : r.serverName());
                t.intColumn(PROMPT).append(c.workloadCase().promptTokens());
                t.intColumn(GEN).append(c.workloadCase().genTokens());
                t.intColumn(CONCURRENCY).append(c.workloadCase().concurrency());
                t.intColumn(REQUESTS).append(reqs.size());
                put(t.doubleColumn(PREFILL), Stats.mean(reqs.stream().map(q -> q.server().promptPerSecond()).toList()), 1);
                put(t.doubleColumn(DECODE), decode, 1);
                put(t.doubleColumn(DECODE_SERVER), decodeServer, 1);
                put(t.doubleColumn(AGGREGATE), Stats.mean(c.batches().stream().map(BenchResult.Batch::aggregateDecodeTps).filter(Double::isFinite).toList()), 1);
                put(t.doubleColumn(TTFT_P50), Stats.percentile(ttft, 50), 1);
                put(t.doubleColumn(TTFT_P95), Stats.percentile(ttft, 95), 1);
                put(t.doubleColumn(E2E_P50), Stats.percentile(e2e, 50), 1);
                put(t.doubleColumn(E2E_P95), Stats.percentile(e2e, 95), 1);
                if (c.gpuPeakMiB().isPresent()) t.longColumn(GPU_PEAK).append(c.gpuPeakMiB().getAsLong());
                else t.longColumn(GPU_PEAK).appendMissing();
                // the client's decode rate; the server's own when every request of the row arrived in a burst
                OptionalDouble rate = decode.isPresent() ? decode : decodeServer;
                put(t.doubleColumn(ROOFLINE), rate.isPresent()
                        ? Roofline.percent(r.modelBytes(), rate.getAsDouble(), r.bandwidth()) : OptionalDouble.empty(), 1);
            }
        }
        return t;
    }

    /** One row per request: the client's clock and the server's timings side by side. */
    public static Table requests(List<BenchResult> results) {
        Table t = Table.create("bench requests",
                StringColumn.create(MODEL), StringColumn.create(SERVER), IntColumn.create(PROMPT), IntColumn.create(GEN),
                IntColumn.create(CONCURRENCY), IntColumn.create("repetition"), IntColumn.create("request"),
                DoubleColumn.create("TTFT (ms)"), DoubleColumn.create("e2e (ms)"), DoubleColumn.create("decode (ms)"),
                IntColumn.create("decode tokens"), DoubleColumn.create("decode tok/s (client)"),
                IntColumn.create("cache_n"), IntColumn.create("prompt_n"), DoubleColumn.create("prompt_ms"),
                DoubleColumn.create("prompt_per_second"), IntColumn.create("predicted_n"),
                DoubleColumn.create("predicted_ms"), DoubleColumn.create("predicted_per_second"));
        for (BenchResult r : results) {
            for (BenchResult.CaseResult c : r.cases()) {
                for (BenchResult.Batch b : c.batches()) {
                    for (BenchResult.Request q : b.requests()) {
                        t.stringColumn(MODEL).append(r.model());
                        t.stringColumn(SERVER).append(r.serverName() == null ? "" : r.serverName());
                        t.intColumn(PROMPT).append(c.workloadCase().promptTokens());
                        t.intColumn(GEN).append(c.workloadCase().genTokens());
                        t.intColumn(CONCURRENCY).append(c.workloadCase().concurrency());
                        t.intColumn("repetition").append(b.repetition());
                        t.intColumn("request").append(q.index() + 1);
                        put(t.doubleColumn("TTFT (ms)"), q.ttftMs(), 3);
                        put(t.doubleColumn("e2e (ms)"), q.e2eMs(), 3);
                        put(t.doubleColumn("decode (ms)"), q.decodeMs(), 3);
                        t.intColumn("decode tokens").append(q.decodeTokens());
                        put(t.doubleColumn("decode tok/s (client)"), q.clientDecodeTps(), 3);
                        BenchResult.Timings s = q.server();
                        t.intColumn("cache_n").append(s.cacheN());
                        t.intColumn("prompt_n").append(s.promptN());
                        put(t.doubleColumn("prompt_ms"), s.promptMs(), 3);
                        put(t.doubleColumn("prompt_per_second"), s.promptPerSecond(), 3);
                        t.intColumn("predicted_n").append(s.predictedN());
                        put(t.doubleColumn("predicted_ms"), s.predictedMs(), 3);
                        put(t.doubleColumn("predicted_per_second"), s.predictedPerSecond(), 3);
                    }
                }
            }
        }
        return t;
    }

    /** The lines above a result's table: what was measured, where. */
    public static List<String> header(BenchResult r) {
        List<String> lines = new ArrayList<>();
        BenchResult.Server s = r.server();
        String file = r.modelFile() != null ? r.modelFile().getFileName().toString()
                : r.server().modelPath().isBlank() ? r.model() : Path.of(r.server().modelPath()).getFileName().toString();
        lines.add(file + (r.serverName() == null ? "" : " (server '" + r.serverName() + "')") + " at " + r.baseUrl() + ": " + (s.slots() > 0 ? s.slots() + " slots" : "slots unknown")
                + (s.slotContext() > 0 ? " × " + s.slotContext() + " tokens of context" : "")
                + (s.buildInfo().isBlank() ? "" : " · llama.cpp " + s.buildInfo()));
        String gpu = r.gpuNames().isEmpty() ? "no NVIDIA GPU seen (GPU memory and % roofline left empty)"
                : "GPU: " + String.join(", ", r.gpuNames()) + r.bandwidth()
                        .map(b -> String.format(Locale.ROOT, " · %.0f GB/s (%s)", b.gbPerSecond(), b.source()))
                        .orElse(" · bandwidth not in llamagic's table (% roofline left empty)");
        lines.add(gpu);
        lines.add(r.modelBytes() > 0 ? "model file: " + Units.bytes(r.modelBytes()) + " (" + r.modelBytes() + " bytes)"
                : "model file " + (r.server().modelPath().isBlank() ? "unknown" : "'" + r.server().modelPath() + "' not found here")
                        + " (% roofline left empty; start llama-server with an absolute -m path)");
        int n = r.plan().requests();
        lines.add("workload " + r.workload().name() + ": " + r.workload().describe() + "; " + n
                + (n == 1 ? " request" : " requests") + " after one warm-up");
        for (String note : r.plan().notes()) lines.add("note: " + note);
        return lines;
    }

    public static String legendText() {
        return legendText(LEGEND);
    }

    /**
     * The legend entries that explain one of {@code columns} (an entry named "TTFT" explains "TTFT p50 (ms)").
     */
    public static List<String[]> legendFor(List<String> columns) {
        return LEGEND.stream().filter(l -> columns.stream().anyMatch(c -> c.equals(l[0]) || c.startsWith(l[0] + " "))).toList();
    }

    public static String legendText(List<String[]> legend) {
        StringBuilder b = new StringBuilder("what each column measured:\n");
        for (String[] l : legend) b.append("  ").append(l[0]).append(": ").append(l[1]).append('\n');
        return b.toString();
    }

    /** Writes a table as CSV (header row, empty cells for missing figures), creating the folder. */
    public static Path save(Table table, Path csv) throws IOException {
        Path abs = csv.toAbsolutePath();
        if (abs.getParent() != null) Files.createDirectories(abs.getParent());
        table.write().csv(abs.toFile());
        return abs;
    }

    /** Where the per-request rows of a saved summary go: {@code results.csv} → {@code results.requests.csv}. */
    public static Path requestsPath(Path csv) {
        String n = csv.getFileName().toString();
        String stem = n.toLowerCase(Locale.ROOT).endsWith(".csv") ? n.substring(0, n.length() - 4) : n;
        return csv.resolveSibling(stem + ".requests.csv");
    }

    /**
     * Loads a CSV written by {@code %bench --save} back into a Table (column types inferred: numbers as numbers,
     * empty cells missing): {@code Table t = dev.llamagic.engine.bench.BenchReport.load("bench.csv");}
     */
    public static Table load(Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) throw new IOException("no such file: " + csv.toAbsolutePath());
        Table t = Table.read().csv(CsvReadOptions.builder(csv.toFile()).separator(',').header(true).build());
        return t.setName(csv.getFileName().toString());
    }

    public static Table load(String csv) throws IOException {
        return load(Path.of(csv));
    }

    private static void put(DoubleColumn c, OptionalDouble v, int decimals) {
        if (v.isPresent()) put(c, v.getAsDouble(), decimals);
        else c.appendMissing();
    }

    private static void put(DoubleColumn c, double v, int decimals) {
        if (!Double.isFinite(v)) {
            c.appendMissing();
            return;
        }
        double f = Math.pow(10, decimals);
        c.append(Math.round(v * f) / f);
    }
}
