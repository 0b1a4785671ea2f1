package dev.llamagic.magic.bench;

import dev.llamagic.engine.bench.BenchReport;
import dev.llamagic.engine.bench.BenchResult;
import dev.llamagic.engine.bench.BenchRunner;
import dev.llamagic.engine.bench.BenchSpec;
import dev.llamagic.engine.bench.LlamaBench;
import dev.llamagic.engine.bench.LlamaBenchSpec;
import dev.llamagic.engine.bench.Workload;

import dev.llamagic.magic.Commands;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.ServerSpec;
import dev.llamagic.engine.serve.Servers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;
import tech.tablesaw.api.Table;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures a llama-server (prefill and decode tok/s, TTFT, latency, GPU memory, share of the bandwidth roofline) with a fixed workload, or runs llama-bench.",
                "用固定负载测量 llama-server 的预填充/解码速度、首字延迟、端到端延迟、显存峰值和带宽利用率，或运行 llama-bench。"},
        footer = {"", "Forms:",
                "  %%bench --url URL [--api-key K]    any running llama-server",
                "  %%bench [--server NAME]            a %%serve server (default: the latest)",
                "  %%bench --llama-bench M.gguf ARGS  llama-bench, e.g. -p 512 -n 128",
                "  %%bench --compare A.gguf B.gguf    the same workload over several models",
                "Standard workload: prompts 128/512/2048 tokens, generate 128, concurrency",
                "1/2/4/8 (up to the server's slots), 3 repetitions. --quick: prompts 64/256,",
                "generate 32, concurrency 1/2/4, 2 repetitions.",
                "Load a saved CSV: dev.llamagic.engine.bench.BenchReport.load(\"bench.csv\")"})
public class BenchCommand extends MagicCommand {

    /** How {@code --server NAME} (and plain {@code %bench}) finds a server: the servers {@code %serve} started. */
    BenchTargets targets() {
        return BenchTargets.of(n -> Servers.of(ctx).find(n).orElse(null), this::latestOrNull,
                s -> BenchSpec.builder(s.baseUrl()).server(s.name()).apiKey(s.apiKey()).modelFile(s.modelPath()).pid(s.pid()));
    }

    private LlamaServer latestOrNull() {
        return Servers.of(ctx).latest().orElse(null);
    }

    @Option(names = "--url", paramLabel = "URL", description = "A running llama-server, e.g. http://127.0.0.1:8080.")
    String url;

    @Option(names = "--eas", paramLabel = "NAME", description = "A PAI-EAS service (%%eas list): endpoint and token from the EAS API.")
    String eas;

    @Option(names = "--api-key", paramLabel = "KEY", description = "The server's API key (sent as a Bearer token).")
    String apiKey;

    @Option(names = "--server", paramLabel = "NAME", description = "A server started with %%serve (default: the latest).")
    String server;

    @Option(names = "--llama-bench", paramLabel = "GGUF", description = "Run llama.cpp's llama-bench on this model; arguments after it go to llama-bench.")
    Path llamaBench;

    @Option(names = "--compare", arity = "2..*", paramLabel = "GGUF", description = "Start a server per model and run the same workload on each.")
    List<Path> compare;

    @Option(names = "--quick", description = "The short workload (CPU machines, smoke tests).")
    boolean quick;

    @Option(names = "--prompts", split = ",", paramLabel = "N", description = "Prompt lengths in tokens (default 128,512,2048).")
    List<Integer> prompts;

    @Option(names = "--gen", split = ",", paramLabel = "N", description = "Generation lengths in tokens (default 128).")
    List<Integer> gen;

    @Option(names = "--concurrency", split = ",", paramLabel = "N", description = "Concurrency levels (default 1,2,4,8; capped at the server's slots).")
    List<Integer> concurrency;

    @Option(names = "--reps", paramLabel = "N", description = "Repetitions of each case (default 3).")
    Integer reps;

    @Option(names = "--server-args", paramLabel = "ARGS", description = "Extra llama-server flags for --compare, e.g. \"-ngl 99 -fa on\".")
    String serverArgs;

    @Option(names = "--save", paramLabel = "FILE.csv", description = "Save the table as CSV (per-request rows beside it as FILE.requests.csv).")
    Path save;

    @Option(names = "--raw", description = "Also show one row per request with the server's timings.")
    boolean raw;

    @Unmatched
    List<String> extra = new ArrayList<>();

    @Override
    protected void run() throws Exception {
        String prefix = Commands.prefix("bench", body, ctx);
        int modes = (url != null ? 1 : 0) + (server != null ? 1 : 0) + (llamaBench != null ? 1 : 0) + (compare != null ? 1 : 0)
                + (eas != null ? 1 : 0);
        if (modes > 1) throw new UserError(prefix + ": use only one of --url, --server, --llama-bench, --compare, --eas");
        if (llamaBench == null && !extra.isEmpty()) {
            throw new UserError(prefix + ": Unknown option: '" + extra.get(0) + "' (see " + prefix + " --help)");
        }
        if (llamaBench != null) {
            String o = LlamaBench.outputFlag(extra);
            if (o != null) throw new UserError(prefix + ": --llama-bench sets llama-bench's output format itself; leave out " + o);
            Table t = LlamaBench.run(ctx, LlamaBenchSpec.builder(llamaBench).args(extra).onRow(BenchView.live(out)).build());
            if (save != null) saved(prefix, BenchReport.save(t, save), null, t.rowCount());
            return;
        }
        Workload w = workload(prefix);
        List<BenchResult> results = new ArrayList<>();
        if (compare != null) {
            List<String> sargs = serverArgs == null || serverArgs.isBlank() ? List.of()
                    : Arrays.asList(serverArgs.trim().split("\\s+"));
            for (Path p : compare) {
                if (!Files.isRegularFile(p)) throw new UserError(prefix + ": no such model file: " + p.toAbsolutePath());
            }
            int slotContext = (int) Math.ceil((w.maxSequence() + 16) / 256.0) * 256;
            for (Path p : compare) {
                ctx.checkInterrupted();
                // one supervised server per model (the %serve registry: it dies with the kernel), stopped afterwards
                String model = p.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
                ServerSpec spec = ServerSpec.builder(p.toAbsolutePath()).name("bench-" + model).parallel(w.maxConcurrency())
                        .ctx(w.maxConcurrency() * slotContext).extraFlags(sargs).build();
                LlamaServer s = Servers.start(ctx, spec);
                try {
                    results.add(measure(prefix, BenchSpec.builder(s.baseUrl()).apiKey(s.apiKey())
                            .modelFile(p.toAbsolutePath()).pid(s.pid()).slots(w.maxConcurrency()).workload(w).build()));
                } finally {
                    Servers.of(ctx).stop(s.name());
                }
            }
        } else {
            BenchSpec.Builder target = eas != null ? easTarget()
                    : url != null ? BenchSpec.builder(url).apiKey(apiKey) : targets().resolve(server);
            if (apiKey != null && target.apiKey() == null) target.apiKey(apiKey);
            results.add(measure(prefix, build(prefix, target.workload(w))));
        }
        Table summary = BenchReport.summary(results);
        Table requests = BenchReport.requests(results);
        BenchView.show(out, results, summary, requests, raw);
        if (save != null) {
            Path s = BenchReport.save(summary, save);
            Path rq = BenchReport.save(requests, BenchReport.requestsPath(s));
            saved(prefix, s, rq, summary.rowCount());
        }
    }

    /** {@code --eas NAME}: the service's endpoint, its token as the Authorization header. */
    private BenchSpec.Builder easTarget() {
        dev.llamagic.engine.eas.EasAccess access = dev.llamagic.magic.eas.EasTargets.access(ctx, eas);
        return BenchSpec.builder(access.url()).authorization(access.authorization()).server("eas:" + eas);
    }

    /** Runs one benchmark; a server that wants a key is told how to pass one. */
    private BenchResult measure(String prefix, BenchSpec spec) {
        try {
            return BenchRunner.run(ctx, spec);
        } catch (BenchRunner.ApiKeyNeeded e) {
            throw new UserError(prefix + ": " + e.getMessage() + ": pass --api-key", e);
        }
    }

    private void saved(String prefix, Path csv, Path requests, int rows) {
        out.print("saved " + rows + " row" + (rows == 1 ? "" : "s") + " to " + csv
                + (requests == null ? "" : " (one row per request: " + requests + ")")
                + "; load with dev.llamagic.engine.bench.BenchReport.load(\"" + csv + "\")");
    }

    /** The workload the flags ask for. */
    private Workload workload(String prefix) {
        try {
            return (quick ? Workload.quick() : Workload.standard()).with(prompts, gen, concurrency, reps);
        } catch (IllegalArgumentException e) {
            throw new UserError(prefix + ": " + e.getMessage());
        }
    }

    private static BenchSpec build(String prefix, BenchSpec.Builder b) {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UserError(prefix + ": " + e.getMessage());
        }
    }
}
