package dev.llamagic.magic.serve;

import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.LoadFailure;
import dev.llamagic.engine.serve.ModelLocator;
import dev.llamagic.engine.serve.ServeError;
import dev.llamagic.engine.serve.GpuFit;
import dev.llamagic.engine.serve.ServerFlags;
import dev.llamagic.engine.serve.ServerSpec;
import dev.llamagic.engine.serve.Servers;

import dev.llamagic.engine.build.Llama;
import dev.llamagic.core.ChildProcess;
import dev.llamagic.magic.Commands;
import dev.llamagic.util.Html;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.util.Units;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.gpu.GpuProcess;
import dev.llamagic.engine.gpu.NvidiaSmi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Starts a supervised llama-server on a GGUF model (or lists, stops, restarts servers, shows their logs).",
                "启动并托管 llama-server（或列出、停止、重启服务，查看日志）。"},
        footer = {"", "Examples:",
                "  %%serve /mnt/workspace/Qwen3-4B-Q4_K_M.gguf --preset qwen3",
                "  %%serve Qwen/Qwen3-4B-GGUF --port 8080 --ctx 8192 -- --threads 8",
                "  %%serve --router /mnt/workspace/models --ttl 600   (several models at one URL: %%chat --model NAME)",
                "  %%serve Qwen/Qwen3-4B-GGUF:Q4_K_M          (downloads only that quantization, then serves it)",
                "  %%serve Qwen/Qwen3-32B-GGUF:Q4_K_M --gpus 0,1 --split-mode row --cache-type q8_0 --plan",
                "  %%serve --list        %%serve --logs NAME --tail 50        %%serve --stop all",
                "Raw llama-server flags go after --; they are checked against the installed binary's --help."})
public class ServeCommand extends MagicCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "a .gguf file, a directory holding one, or the name of a download under LLAMAGIC_HOME/models")
    String model;

    @Parameters(index = "1..*", paramLabel = "RAW", description = "raw llama-server flags, after --")
    List<String> raw = new ArrayList<>();

    @Option(names = "--name", description = "name of the server in %%serve --list (default: from the alias or the file)")
    String name;

    @Option(names = {"-a", "--alias"}, description = "model name the server reports (/v1/models)")
    String alias;

    @Option(names = "--host", description = "address to listen on (default 127.0.0.1: this machine only)")
    String host;

    @Option(names = "--port", description = "port, or auto for a free one (default auto)")
    String port;

    @Option(names = {"-c", "--ctx"}, description = "context size in tokens (0 = the model's trained context)")
    Integer ctxSize;

    @Option(names = "--ngl", description = "layers on the GPU: a number, all or auto")
    String ngl;

    @Option(names = {"--fa", "-fa"}, arity = "0..1", fallbackValue = "on", description = "flash attention: on, off or auto (bare --fa = on)")
    String fa;

    @Option(names = {"--split-mode", "--sm", "-sm"}, description = "split mode over several GPUs: none, layer, row, tensor (as this llama-server has them)")
    String sm;

    @Option(names = {"--parallel", "-np"}, description = "parallel slots (conversations served at once)")
    Integer parallel;

    @Option(names = "--fit", description = "fit context and GPU layers to free GPU memory: llama.cpp's own -fit where this "
            + "llama-server has it, else llamagic's estimate (said in a note)")
    boolean fit;

    @Option(names = "--gpus", paramLabel = "LIST", description = "GPUs to use, as nvidia-smi numbers them, e.g. 0,1 (CUDA_VISIBLE_DEVICES of the server)")
    String gpus;

    @Option(names = "--tensor-split", paramLabel = "P0,P1", description = "share of the model per GPU, e.g. 3,1 "
            + "(default on several GPUs: proportional to their free memory)")
    String tensorSplit;

    @Option(names = "--cache-type", paramLabel = "K,V", description = "KV cache types, e.g. q8_0 or q8_0,q4_0 (f32, f16, bf16, "
            + "q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1); a quantized V needs flash attention (turned on unless --fa off)")
    String cacheType;

    @Option(names = "--draft", paramLabel = "MODEL", description = "draft model for speculative decoding (a .gguf, a directory or a download's name)")
    String draft;

    @Option(names = "--draft-max", paramLabel = "N", description = "tokens the draft model proposes per step")
    Integer draftMax;

    @Option(names = "--plan", description = "print the llama-server command and the memory budget per GPU (weights, KV cache, "
            + "compute buffers, free after) without starting anything")
    boolean plan;

    @Option(names = "--temp", description = "default temperature")
    Double temp;

    @Option(names = "--top-k", description = "default top-k")
    Integer topK;

    @Option(names = "--top-p", description = "default top-p")
    Double topP;

    @Option(names = "--min-p", description = "default min-p")
    Double minP;

    @Option(names = "--reasoning-format", description = "where thinking goes: none, auto, deepseek (reasoning_content)")
    String reasoningFormat;

    @Option(names = "--preset", description = "qwen3: the tutorial's settings (temp 0.6, top-k 20, top-p 0.95, min-p 0, "
            + "reasoning deepseek, all layers on GPU, flash attention on, context 40960 where memory allows)")
    String preset;

    @Option(names = "--api-key", description = "require this key from clients (Authorization: Bearer KEY)")
    String apiKey;

    @Option(names = "--timeout", description = "seconds the model may take to load (default 900)")
    Integer timeout;

    @Option(names = "--mmproj", paramLabel = "FILE", description = "multimodal projector (mmproj-*.gguf) for a vision model: "
            + "images in %%chat --image (default: the mmproj*.gguf beside the model)")
    Path mmproj;

    @Option(names = "--no-mmproj", description = "serve a vision model for text only (no projector)")
    boolean noMmproj;

    @Option(names = "--router", description = "serve several models at one URL: MODEL is a directory of GGUFs, or give "
            + "several .gguf files; each loads on its first request (%%chat --model NAME, NAME = the file name without .gguf)")
    boolean router;

    @Option(names = "--ttl", paramLabel = "SECONDS", description = "unload a model after this many idle seconds; "
            + "the next request loads it again")
    String ttl;

    /** What to do instead of starting a server: one of these at most (picocli refuses two). */
    static final class Mode {
        @Option(names = "--list", required = true, description = "list the servers started in this kernel")
        boolean list;

        @Option(names = "--stop", required = true, paramLabel = "NAME", description = "stop a server (all: every one)")
        String stop;

        @Option(names = "--restart", required = true, paramLabel = "NAME", description = "stop a server and start it again with the same settings")
        String restart;

        @Option(names = "--logs", required = true, paramLabel = "NAME", description = "show the end of a server's log")
        String logs;

        @Option(names = "--server-help", required = true, description = "show the installed llama-server's own --help")
        boolean serverHelp;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1", heading = "%nInstead of starting a server:%n")
    Mode mode;

    @Option(names = "--tail", description = "lines of log to show with --logs (default 40)")
    Integer tail;

    private String prefix() {
        return Commands.prefix("serve", body, ctx);
    }

    private Servers servers() {
        return Servers.of(ctx);
    }

    @Override
    protected void run() {
        String p = prefix();
        if (mode == null && model == null) {
            throw new UserError(p + ": give a model (a .gguf file, a directory or a downloaded model's name), "
                    + "or one of --list, --stop, --restart, --logs (see " + p + " --help)");
        }
        if (mode != null && model != null) {
            throw new UserError(p + ": one thing at a time: a model, --list, --stop, --restart, --logs or --server-help");
        }
        try {
            if (mode == null) startServer();
            else if (mode.list) listServers();
            else if (mode.stop != null) stopServers(mode.stop);
            else if (mode.logs != null) showLogs(mode.logs);
            else if (mode.restart != null) restartServer(mode.restart);
            else showServerHelp();
        } catch (LoadFailure.Failed f) {
            LoadFailure worded = ServeMessages.explain(f.failure());
            LoadFailureView.show(out, worded);
            throw worded == f.failure() ? f : new UserError(worded.error().getMessage(), f);
        } catch (ServeError e) {
            throw ServeMessages.explain(e);
        }
    }

    private void startServer() {
        String p = prefix();
        if (model.startsWith("-")) throw new UserError(p + ": the model comes first, then options (see " + p + " --help)");
        List<String> routerModels = RouterView.models(model, raw, router);
        if (!raw.isEmpty() && !ServerFlags.isFlag(raw.get(0))) {
            throw new UserError(p + ": unexpected argument '" + raw.get(0) + "' (raw llama-server flags go after --)");
        }
        // options first: a mistyped preset or port is said before the model or the build is looked for
        if (preset != null) dev.llamagic.engine.serve.Presets.check(preset);
        Integer portNumber = null;
        if (port != null && !port.equalsIgnoreCase("auto")) {
            try {
                portNumber = Integer.parseInt(port.strip());
            } catch (NumberFormatException e) {
                throw new UserError(p + ": --port takes a number or auto (not '" + port + "')");
            }
        }
        Integer ttlSeconds = RouterView.ttl(ttl);
        String[] cacheTypes = GpuOptions.check(this::optionError, gpus, tensorSplit, sm, cacheType, parallel, draftMax, fa);
        ServerSpec.Builder specBuilder;
        List<String> flags = raw;
        if (router) {
            specBuilder = ServerSpec.router(RouterView.locate(routerModels, ctx.home()));
        } else {
            ModelLocator.Found found;
            Path hubProjector = null;
            HubServe.Fetched fetched = HubServe.locate(ctx, out, model);
            if (fetched != null) {
                found = fetched.found();
                hubProjector = fetched.mmproj();
            } else {
                found = ModelLocator.locate(model, ctx.home());
            }
            if (found.note() != null) out.print(found.note());
            specBuilder = ServerSpec.builder(found.file());
            // the projector (given, downloaded with a hub GGUF, or beside the model) is checked against the model
            flags = VisionServe.withProjector(ctx, out, p, found.file(), mmproj != null ? mmproj : hubProjector,
                    noMmproj, raw);
        }
        Path draftFile = draft == null ? null : ModelLocator.locate(draft, ctx.home()).file();
        ServerSpec spec = specBuilder.ttl(ttlSeconds)
                .name(name).alias(alias).host(host).port(portNumber).ctx(ctxSize).ngl(ngl).flashAttention(fa)
                .splitMode(sm).parallel(parallel).temperature(temp).topK(topK).topP(topP).minP(minP)
                .reasoningFormat(reasoningFormat).preset(preset).apiKey(apiKey).extraFlags(flags)
                .fit(fit ? Boolean.TRUE : null).gpus(GpuFit.gpusText(gpus)).tensorSplit(tensorSplit)
                .cacheType(cacheTypes == null ? null : cacheTypes[0], cacheTypes == null ? null : cacheTypes[1])
                .draftModel(draftFile).draftMax(draftMax)
                .build();
        if (plan) {
            PlanView.show(out, GpuFit.plan(ctx, spec));
            return;
        }
        Duration loadTimeout = loadTimeout();
        if (!spec.loopback()) {
            out.warn("warning: --host " + spec.host() + " makes the server reachable from other machines"
                    + (spec.apiKey() == null ? ": protect it with --api-key KEY" : " (it asks for the API key)"));
        }
        LlamaServer s = servers().start(ctx, spec, loadTimeout);
        if ("terminal".equals(ctx.host())) {
            // a terminal command ends with its JVM, and the server with it: serve in the foreground instead
            out.print("server '" + s.name() + "' ready at " + s.baseUrl() + " (OpenAI API: " + s.baseUrl()
                    + "/v1, pid " + s.pid() + "); serving until Ctrl-C");
            int code = s.process().waitFor(ctx, p);
            throw new UserError(p + ": llama-server exited with code " + code + " (log: " + s.logFile() + ")");
        }
        if (s.spec().router()) {
            out.print(RouterView.ready(s));
        } else {
            out.print("server '" + s.name() + "' ready at " + s.baseUrl() + " (OpenAI API: " + s.baseUrl() + "/v1, pid "
                    + s.pid() + ") — %chat \"...\" talks to it; %serve --stop " + s.name() + " stops it");
        }
        WebUiView.show(ctx, s);
    }

    private UserError optionError(String option, String problem) {
        return new UserError(prefix() + ": " + option + " " + problem);
    }

    private Duration loadTimeout() {
        if (timeout == null) return Servers.DEFAULT_LOAD_TIMEOUT;
        if (timeout <= 0) throw new UserError(prefix() + ": --timeout must be a positive number of seconds");
        return Duration.ofSeconds(timeout);
    }

    private void listServers() {
        List<LlamaServer> all = servers().all();
        if (all.isEmpty()) {
            out.print("no servers started in this kernel (start one: %serve <model.gguf>)");
            return;
        }
        Map<Long, Long> gpu = memoryByPid(NvidiaSmi.queryApps(ctx.env()));
        Table t = Table.create("llama-servers",
                StringColumn.create("name"), StringColumn.create("model"), IntColumn.create("port"),
                LongColumn.create("pid"), StringColumn.create("state"), StringColumn.create("uptime"),
                StringColumn.create("GPU memory"), StringColumn.create("url"));
        for (LlamaServer s : all) {
            t.stringColumn("name").append(s.name());
            t.stringColumn("model").append(s.spec().router() ? RouterView.modelsCell(s) : s.modelPath().getFileName().toString());
            t.intColumn("port").append(s.port());
            t.longColumn("pid").append(s.pid());
            t.stringColumn("state").append(s.stateText());
            boolean running = s.state() == LlamaServer.State.READY || s.state() == LlamaServer.State.LOADING;
            t.stringColumn("uptime").append(running ? Units.duration(Duration.between(s.startedAt(), Instant.now()).toMillis() / 1000.0) : "");
            Long mib = gpu.get(s.pid());
            t.stringColumn("GPU memory").append(mib == null ? "" : Units.bytes(mib << 20));
            t.stringColumn("url").append(s.baseUrl());
        }
        out.table(t);
    }

    /** Per-process GPU memory in MiB from nvidia-smi, empty where there is none. */
    /** GPU memory (MiB) by pid, summed over the GPUs a process uses; processes without a figure left out. */
    public static Map<Long, Long> memoryByPid(List<GpuProcess> apps) {
        Map<Long, Long> m = new HashMap<>();
        for (GpuProcess a : apps) if (a.usedMiB() != null) m.merge(a.pid(), a.usedMiB(), Long::sum);
        return m;
    }

    private void stopServers(String stop) {
        if ("all".equals(stop) && servers().all().isEmpty()) {
            out.print("no servers to stop");
            return;
        }
        if (!"all".equals(stop)) ServeMessages.get(servers(), stop);
        for (LlamaServer s : servers().stop(stop)) out.print("stopped '" + s.name() + "' (pid " + s.pid() + ", port " + s.port() + ")");
    }

    private void restartServer(String restart) {
        ServeMessages.get(servers(), restart);
        LlamaServer s = servers().restart(ctx, restart, loadTimeout());
        out.print("server '" + s.name() + "' ready again at " + s.baseUrl() + " (pid " + s.pid() + ")");
    }

    private void showLogs(String logs) {
        String p = prefix();
        int n = tail == null ? 40 : tail;
        if (n <= 0) throw new UserError(p + ": --tail must be positive");
        Path file;
        var known = servers().find(logs);
        if (known.isPresent()) {
            file = known.get().logFile();
        } else {
            try {
                file = ctx.logs().resolve("serve-" + logs + ".log");
            } catch (IOException e) {
                throw new UserError(p + ": cannot read the logs directory: " + e.getMessage());
            }
            if (!Files.exists(file)) {
                List<LlamaServer> all = servers().all();
                throw new UserError(p + ": no server named '" + logs + "' and no log " + file
                        + (all.isEmpty() ? "" : " (known: " + String.join(", ", all.stream().map(LlamaServer::name).toList()) + ")"));
            }
        }
        List<String> lines;
        try {
            lines = LlamaServer.tailOf(file, n);
        } catch (IOException e) {
            throw new UserError(p + ": cannot read " + file + ": " + e.getMessage());
        }
        String text = String.join("\n", lines);
        out.html("<div><b>" + Html.escape(file.toString()) + "</b> (last " + lines.size() + " lines)</div>" + Html.pre(text),
                file + " (last " + lines.size() + " lines)\n" + text);
    }

    private void showServerHelp() {
        Path binary = Llama.latest(ctx).binary("llama-server");
        try {
            ChildProcess.Result r = ChildProcess.run(List.of(binary.toString(), "--help"), null, Duration.ofSeconds(60));
            out.html(Html.pre(r.output()), r.output());
        } catch (IOException e) {
            throw new UserError(prefix() + ": cannot run " + binary + ": " + e.getMessage());
        }
    }
}
