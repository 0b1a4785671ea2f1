package dev.llamagic.engine.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.engine.build.Llama;
import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * llama.cpp's own benchmark, {@code llama-bench}, from the installed build, its rows shown as a table as each
 * test finishes. It runs with {@code -o jsonl} (the same objects as {@code -o json}, one per line as each test
 * ends, so they can be told apart from its log lines on the merged output) and {@code --progress}.
 */
public final class LlamaBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PROGRESS = Pattern.compile("llama-bench: benchmark (\\d+)/(\\d+): (.*)");

    private LlamaBench() {}

    /** The llama-bench command line for a model and the user's extra arguments. */
    public static List<String> command(Path binary, Path gguf, List<String> extra) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "-m", gguf.toString()));
        cmd.addAll(extra);
        cmd.addAll(List.of("-o", "jsonl", "--progress"));
        return cmd;
    }

    /** The first of {@code extra} that sets llama-bench's output format (which llamagic sets itself), or null. */
    public static String outputFlag(List<String> extra) {
        for (String a : extra) {
            if (a.equals("-o") || a.equals("--output") || a.equals("-oe") || a.equals("--output-err")) return a;
        }
        return null;
    }

    /**
     * Runs llama-bench as {@code spec} says with a progress bar in {@code ctx}'s notebook; returns its rows (one per
     * test). Throws {@link UserError} (one line) when it cannot run or fails.
     */
    public static Table run(Context ctx, LlamaBenchSpec spec) throws IOException {
        Path gguf = spec.model();
        List<String> extra = spec.args();
        Consumer<Table> onRow = spec.onRow();
        String o = outputFlag(extra);
        if (o != null) throw new UserError("llamagic sets llama-bench's output format itself; leave out " + o);
        if (!Files.isRegularFile(gguf)) throw new UserError("no such model file: " + gguf);
        Path binary = Llama.latest(ctx).binary("llama-bench");
        List<String> cmd = command(binary, gguf, extra);
        Path log = ctx.logs().resolve("llama-bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".log");
        Table table = emptyTable(gguf.getFileName().toString());
        List<String> errors = new ArrayList<>();
        try (Progress bar = ctx.notebook().progress("llama-bench " + gguf.getFileName(), 0, Progress.Unit.STEPS)) {
            bar.detail("loading " + gguf.getFileName());
            ChildProcess p = ChildProcess.start(cmd, null, null, log, line -> {
                Matcher m = PROGRESS.matcher(line);
                if (m.find()) {
                    int i = Integer.parseInt(m.group(1));
                    int n = Integer.parseInt(m.group(2));
                    bar.total(n);
                    bar.set(i - 1);
                    bar.detail("test " + i + "/" + n + ": " + m.group(3));
                } else if (line.startsWith("{")) {
                    try {
                        JsonNode row = JSON.readTree(line);
                        synchronized (table) {
                            addRow(table, row);
                            if (onRow != null) onRow.accept(table);
                        }
                        bar.add(1);
                    } catch (IOException e) {
                        // not a result line
                    }
                } else if (line.contains("error") || line.contains("failed")) {
                    synchronized (errors) {
                        errors.add(line.trim());
                    }
                }
            });
            int exit;
            try {
                exit = p.waitFor(ctx, null);
            } finally {
                p.close();
            }
            if (exit != 0) {
                String why = errors.isEmpty() ? String.join(" | ", p.tail(3)) : errors.get(errors.size() - 1);
                bar.fail("exit " + exit);
                throw new UserError("llama-bench failed (exit " + exit + "): " + why + " (log: " + log + ")");
            }
            bar.finish(table.rowCount() + " test" + (table.rowCount() == 1 ? "" : "s"));
        }
        if (table.rowCount() == 0) throw new UserError("llama-bench printed no results (log: " + log + ")");
        return table;
    }

    static Table emptyTable(String name) {
        return Table.create("llama-bench " + name,
                StringColumn.create("model"), StringColumn.create("size"), StringColumn.create("params"),
                StringColumn.create("backend"), IntColumn.create("ngl"), IntColumn.create("threads"),
                StringColumn.create("test"), DoubleColumn.create("t/s"), DoubleColumn.create("± t/s"),
                StringColumn.create("build"));
    }

    /** Adds one llama-bench JSON object as a row: test named as llama-bench names it (pp512, tg128, pp512+tg128, … @ d4096). */
    static void addRow(Table t, JsonNode r) {
        t.stringColumn("model").append(r.path("model_type").asText());
        t.stringColumn("size").append(Units.bytes(r.path("model_size").asLong()));
        long params = r.path("model_n_params").asLong();
        t.stringColumn("params").append(params >= 1e9 ? String.format(Locale.ROOT, "%.2f B", params / 1e9)
                : String.format(Locale.ROOT, "%.2f M", params / 1e6));
        t.stringColumn("backend").append(r.path("backends").asText());
        t.intColumn("ngl").append(r.path("n_gpu_layers").asInt());
        t.intColumn("threads").append(r.path("n_threads").asInt());
        t.stringColumn("test").append(testName(r.path("n_prompt").asInt(), r.path("n_gen").asInt(), r.path("n_depth").asInt()));
        t.doubleColumn("t/s").append(Math.round(r.path("avg_ts").asDouble() * 100) / 100.0);
        t.doubleColumn("± t/s").append(Math.round(r.path("stddev_ts").asDouble() * 100) / 100.0);
        t.stringColumn("build").append(r.path("build_commit").asText() + " (" + r.path("build_number").asText() + ")");
    }

    static String testName(int prompt, int gen, int depth) {
        String s = prompt > 0 && gen == 0 ? "pp" + prompt : prompt == 0 && gen > 0 ? "tg" + gen : "pp" + prompt + "+tg" + gen;
        return depth > 0 ? s + " @ d" + depth : s;
    }
}
