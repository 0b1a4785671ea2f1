package dev.llamagic.magic.gguf;

import dev.llamagic.engine.gguf.FileTypes;
import dev.llamagic.engine.gguf.GgufFile;
import dev.llamagic.engine.gguf.GgufReader;
import dev.llamagic.engine.gguf.HfConverter;

import dev.llamagic.engine.build.Llama;
import dev.llamagic.core.ChildProcess;
import dev.llamagic.magic.Commands;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Units;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantizes a GGUF (Q4_K_M, Q8_0, Q5_K_M, ...) with the built llama-quantize, with progress and sizes.",
                "用已编译的 llama-quantize 量化 GGUF（Q4_K_M、Q8_0、Q5_K_M 等），显示进度和前后大小。"})
public class QuantizeCommand extends MagicCommand {
    private static final Pattern TENSOR_LINE = Pattern.compile("^\\[\\s*(\\d+)/\\s*(\\d+)\\]");

    @Parameters(index = "0", paramLabel = "GGUF", description = "the GGUF to quantize (usually F16 or BF16)")
    Path input;

    @Parameters(index = "1", paramLabel = "TYPE", defaultValue = "Q4_K_M", description = "Q4_K_M (default), Q8_0, Q5_K_M, Q6_K, Q4_0, IQ4_XS, ...")
    String type;

    @Option(names = "--outfile", paramLabel = "FILE", description = "output (default: the input's name with its type replaced, beside it)")
    Path outfile;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "llama-quantize threads (default: all cores)")
    int threads;

    @Override
    protected void run() throws Exception {
        String prefix = Commands.prefix("quantize", body, ctx);
        String t = type.toUpperCase(Locale.ROOT);
        if (!FileTypes.QUANTIZE.contains(t)) {
            throw new UserError(prefix + ": unknown type " + type + " (try Q4_K_M, Q5_K_M, Q6_K, Q8_0, Q4_0, IQ4_XS; see llama-quantize --help)");
        }
        Path in = input.toAbsolutePath().normalize();
        GgufFile g;
        try {
            g = GgufReader.read(in);
        } catch (UserError e) {
            throw new UserError(prefix + ": " + e.getMessage(), e);
        }
        Path out = outfile != null ? outfile.toAbsolutePath() : in.resolveSibling(outputName(in.getFileName().toString(), t));
        if (out.equals(in)) throw new UserError(prefix + ": the output would overwrite the input; pass --outfile");
        Path bin;
        try {
            bin = Llama.latest(ctx).binary("llama-quantize");
        } catch (UserError e) {
            throw new UserError(prefix + ": " + e.getMessage(), e);
        }
        long usable = Files.getFileStore(out.getParent()).getUsableSpace();
        if (usable < g.fileSize() / 2 && !t.startsWith("F") && !t.equals("BF16")) {
            // a rough floor: every quantized type is at most about half of an F16 input
            throw new UserError(prefix + ": not enough disk space in " + out.getParent() + " (" + Units.bytes(usable) + " free)");
        }
        Path tmp = out.resolveSibling(out.getFileName() + HfConverter.TMP_SUFFIX);
        List<String> cmd = new ArrayList<>(List.of(bin.toString(), in.toString(), tmp.toString(), t));
        if (threads > 0) cmd.add(String.valueOf(threads));
        Path log = ctx.logs().resolve("quantize.log");
        int n = g.tensors().size();
        long started = System.nanoTime();
        boolean ok = false;
        try (Progress bar = this.out.progress("quantize " + out.getFileName(), n, Progress.Unit.COUNT);
             ChildProcess p = ChildProcess.start(cmd, null, Map.of(), log, line -> {
                 Matcher m = TENSOR_LINE.matcher(line);
                 if (m.find()) {
                     bar.total(Long.parseLong(m.group(2)));
                     bar.set(Long.parseLong(m.group(1)));
                     int dash = line.indexOf(" - ");
                     if (dash > 0) bar.detail(line.substring(m.end(), dash).trim());
                 }
             })) {
            int rc = p.waitFor(ctx, prefix);
            if (rc != 0) {
                String why = p.tail(20).stream().filter(l -> l.contains("error") || l.contains("failed") || l.contains("invalid"))
                        .reduce((a, b) -> b).orElse(p.tail(1).isEmpty() ? "" : p.tail(1).get(0));
                bar.fail("llama-quantize exit " + rc);
                throw new UserError(prefix + ": llama-quantize failed (exit " + rc + "): " + why.trim() + " (log: " + log + ")");
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ok = true;
            bar.finish(Units.bytes(Files.size(out)));
        } finally {
            if (!ok) Files.deleteIfExists(tmp);
        }
        double secs = (System.nanoTime() - started) / 1e9;
        GgufFile q = GgufReader.read(out);
        Table table = Table.create("quantize", StringColumn.create(""), StringColumn.create("file"), StringColumn.create("type"),
                StringColumn.create("size"), StringColumn.create("bits per weight"));
        add(table, "before", g);
        add(table, "after", q);
        this.out.table(table);
        this.out.print(String.format(Locale.ROOT, "%s → %s: %.1f%% of the size, in %s", in.getFileName(), out.getFileName(),
                100.0 * q.fileSize() / Math.max(1, g.fileSize()), Units.duration(secs)));
    }

    private static void add(Table t, String label, GgufFile g) {
        t.stringColumn(0).append(label);
        t.stringColumn(1).append(g.path().toString());
        t.stringColumn(2).append(g.get("general.file_type") == null ? "?" : FileTypes.name(g.get("general.file_type").asLong()));
        t.stringColumn(3).append(Units.bytes(g.fileSize()));
        t.stringColumn(4).append(String.format(Locale.ROOT, "%.2f", g.tensorBytes() * 8.0 / Math.max(1, g.parameterCount())));
    }

    /** Qwen3-4B-F16.gguf → Qwen3-4B-Q4_K_M.gguf; other names get the type appended. */
    public static String outputName(String in, String type) {
        String base = in.endsWith(".gguf") ? in.substring(0, in.length() - 5) : in;
        String replaced = base.replaceFirst("(?i)[-.](F32|F16|BF16|Q8_0)$", "");
        return replaced + "-" + type + ".gguf";
    }
}
