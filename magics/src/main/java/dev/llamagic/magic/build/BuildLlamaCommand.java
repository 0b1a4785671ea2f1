package dev.llamagic.magic.build;

import dev.llamagic.engine.build.BuildOptions;
import dev.llamagic.engine.build.BuildPlan;
import dev.llamagic.engine.build.Llama;
import dev.llamagic.engine.build.LlamaBuilder;
import dev.llamagic.engine.build.LlamaInstall;
import dev.llamagic.engine.build.LlamaSource;
import dev.llamagic.engine.build.Wording;

import dev.llamagic.magic.Commands;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.util.Units;
import dev.llamagic.core.UserError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "build-llama", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Builds llama.cpp for this machine's GPU (CUDA) or CPU, verifies the binaries and caches the build.",
                "为本机 GPU（CUDA）或 CPU 编译 llama.cpp，验证生成的程序并缓存编译结果。"},
        footer = {"", "Examples:",
                "  %%build-llama                     upstream " + LlamaSource.DEFAULT_REF + "; CUDA if GPU + toolkit",
                "  %%build-llama --cuda --ref <tag>  require CUDA, another release",
                "  %%build-llama --cuda --cuda-arch a10   cross-build for an A10 on a machine without a GPU",
                "  %%build-llama --source ~/llama.cpp --cpu",
                "  %%build-llama --list              the builds in the cache"})
public class BuildLlamaCommand extends MagicCommand {

    @Option(names = "--source", paramLabel = "URL|DIR|BUNDLE",
            description = "git URL, local llama.cpp directory, or git bundle file (default: ${DEFAULT-VALUE})",
            defaultValue = LlamaSource.UPSTREAM)
    String source;

    @Option(names = "--ref", paramLabel = "REF",
            description = "tag, branch or commit (default: " + LlamaSource.DEFAULT_REF + " for the upstream URL; HEAD of a bundle or directory)")
    String ref;

    @Option(names = "--cuda", description = "require a CUDA build (fails in one line if the toolkit or the GPU is missing)")
    boolean cuda;

    @Option(names = "--cpu", description = "CPU-only build")
    boolean cpu;

    @Option(names = "--backend", paramLabel = "auto|cuda|cpu",
            description = "the same as a notebook parameter: auto (default), cuda (= --cuda) or cpu (= --cpu)")
    BuildOptions.Backend backend;

    @Option(names = "--cuda-arch", paramLabel = "NN", split = ",",
            description = {"CMAKE_CUDA_ARCHITECTURES instead of the GPUs' own compute capabilities (e.g. 86 or 75,86, or GPU names:"
                    + " a10, t4, v100, a100, h100); with --cuda and no GPU here, cross-builds for them (the device check waits for a GPU)"})
    List<String> cudaArchs = new ArrayList<>();

    @Option(names = "--native", description = "tune the CPU code to this CPU (GGML_NATIVE=ON; off by default: such builds crash on some CPUs)")
    boolean nativeCpu;

    @Option(names = "--target", paramLabel = "TARGET", split = ",",
            description = "more targets besides llama-server, llama-cli, llama-quantize, llama-bench")
    List<String> targets = new ArrayList<>();

    @Option(names = "-D", paramLabel = "NAME=VALUE", mapFallbackValue = "ON",
            description = "extra CMake definition (part of the cache key), e.g. -DGGML_CUDA_FA_ALL_QUANTS=ON")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = {"-j", "--jobs"}, paramLabel = "N", description = "parallel build jobs (default: the number of cores)")
    int jobs;

    @Option(names = "--rebuild", description = "build from scratch even if this build is cached")
    boolean rebuild;

    @Option(names = "--dry-run", description = "show the plan (CMake commands, cache key) without building")
    boolean dryRun;

    @Option(names = "--list", description = "list the builds in the cache")
    boolean list;

    @Override
    protected void run() throws Exception {
        String prefix = Commands.prefix("build-llama", body, ctx);
        if (cuda && cpu) throw new UserError(prefix + ": --cuda and --cpu exclude each other: choose one");
        BuildOptions.Backend chosen = cuda ? BuildOptions.Backend.CUDA : cpu ? BuildOptions.Backend.CPU : BuildOptions.Backend.AUTO;
        if (backend != null && chosen != BuildOptions.Backend.AUTO && backend != chosen) {
            throw new UserError(prefix + ": --backend " + backend.name().toLowerCase(java.util.Locale.ROOT)
                    + " contradicts --" + chosen.name().toLowerCase(java.util.Locale.ROOT) + ": choose one");
        }
        if (backend != null) chosen = backend;
        // a misspelt -D is said before anything slow happens (fetching the source, planning, --dry-run)
        for (String name : defines.keySet()) {
            var guess = dev.llamagic.engine.build.BuildPlan.likelyTypo(name);
            if (guess.isPresent()) {
                throw new UserError(prefix + ": -D" + name + " is not a llama.cpp option (did you mean " + guess.get() + "?)"
                        + (guess.get().contains("CUDA") ? "; for a CUDA build use --cuda" : ""));
            }
        }
        if (list) {
            listBuilds();
            return;
        }
        BuildOptions opts = new BuildOptions(source, ref, chosen, rebuild, nativeCpu, targets, defines, cudaArchs, jobs);
        LlamaBuilder builder = new LlamaBuilder(ctx, FLAGS);
        try {
            build(builder, opts, prefix);
        } catch (Wording.Error e) {
            throw new UserError(prefix + ": " + e.in(FLAGS), e);
        }
    }

    /** How this command names the options the engine's messages mention (see {@link Wording}). */
    static final Map<String, String> FLAGS = Map.ofEntries(
            Map.entry("cuda", "--cuda"),
            Map.entry("orCpu", ", or build with --cpu"),
            Map.entry("thenCuda", ", then run %build-llama --cuda"),
            Map.entry("archToBuild", " run %build-llama --cuda --cuda-arch <NN>"),
            Map.entry("cudaArch", "--cuda-arch"),
            Map.entry("archName", " with --cuda-arch"),
            Map.entry("archExample", "--cuda-arch 86"),
            Map.entry("source", "--source"),
            Map.entry("orDir", ", or pass --source <a llama.cpp directory>"),
            Map.entry("offline", "pass --source with a llama.cpp directory or git bundle"),
            Map.entry("forCuda", "; for a CUDA build use --cuda"),
            Map.entry("crossArch", ", cross-build for it with --cuda-arch (86 for an A10, 75 for a T4)"));

    private void build(LlamaBuilder builder, BuildOptions opts, String prefix) throws java.io.IOException {
        if (dryRun) {
            BuildPlan plan = builder.plan(opts);
            plan.notes(FLAGS).forEach(out::warn);
            String text = "key:       " + plan.key() + "\n"
                    + "backend:   " + plan.backend() + (plan.cudaArchs().isEmpty() ? "" : " (CMAKE_CUDA_ARCHITECTURES=" + plan.cudaArchitectures() + ")") + "\n"
                    + "directory: " + plan.buildDir() + "\n"
                    + "configure: " + String.join(" ", plan.configure()) + "\n"
                    + "build:     " + String.join(" ", plan.build()) + "\n"
                    + "cached:    " + (LlamaBuilder.cached(plan).isPresent() ? "yes" : "no");
            out.html(dev.llamagic.util.Html.pre(text), text);
            return;
        }
        BuildReport.show(out, prefix, builder.build(opts));
    }

    private void listBuilds() {
        List<LlamaInstall> all = Llama.installs(ctx);
        if (all.isEmpty()) {
            out.print("no llama.cpp builds under " + Llama.buildsDir(ctx) + " yet: run %build-llama");
            return;
        }
        tech.tablesaw.api.Table t = tech.tablesaw.api.Table.create("llama.cpp builds (newest first; the first is the one %serve uses)");
        for (String c : List.of("key", "commit", "backend", "CUDA archs", "devices", "built at", "build time", "binaries")) {
            t.addColumns(tech.tablesaw.api.StringColumn.create(c));
        }
        for (LlamaInstall i : all) {
            t.stringColumn(0).append(i.key());
            t.stringColumn(1).append(LlamaBuilder.shortCommit(i.commit()));
            t.stringColumn(2).append(i.backend());
            t.stringColumn(3).append(i.cudaArchs().isEmpty() ? "-" : i.cudaArchs());
            t.stringColumn(4).append(i.devices().isEmpty() ? "-" : String.join("; ", i.devices()));
            t.stringColumn(5).append(i.builtAt().toString());
            t.stringColumn(6).append(i.buildSeconds() > 0 ? Units.duration(i.buildSeconds()) : "-");
            t.stringColumn(7).append(i.binDir().toString());
        }
        out.table(t);
    }
}
