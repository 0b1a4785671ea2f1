package dev.llamagic.engine.serve;

import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.build.Llama;
import dev.llamagic.engine.gpu.Gpu;
import dev.llamagic.engine.gpu.HostStats;
import dev.llamagic.engine.gpu.NvidiaSmi;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Fitting a server to the GPUs: the checks of the GPU options of a {@link ServerSpec} (each returns what is
 * wrong with a value, or null), their llama-server flags, the defaults drawn from the GPUs (tensor split
 * proportional to free memory, flash attention for a quantized V cache, llamagic's own estimate of context and
 * layers where the binary cannot fit itself), and {@link #plan}: the command and the memory budget per GPU
 * without starting anything.
 */
public final class GpuFit {
    private GpuFit() {}

    public static final List<String> SPLIT_MODES = List.of("none", "layer", "row", "tensor");

    // ---- checks: null when the value is fine, else what is wrong (the caller names the option) ---------------

    /** A GPU list: indices separated by commas ({@code 0,1}), each once. */
    public static String gpusProblem(String v) {
        if (v == null) return null;
        String t = v.strip();
        if (!t.matches("\\d{1,3}(\\s*,\\s*\\d{1,3})*")) return "takes GPU numbers separated by commas, e.g. 0,1 (not '" + v + "')";
        Set<String> seen = new LinkedHashSet<>();
        for (String p : t.split("\\s*,\\s*")) {
            if (!seen.add(String.valueOf(Integer.parseInt(p)))) return "names GPU " + p + " twice ('" + v + "')";
        }
        return null;
    }

    /** The GPU list without spaces ({@code 0,1}). */
    public static String gpusText(String v) {
        return v == null ? null : v.strip().replaceAll("\\s+", "");
    }

    /** A tensor split: non-negative proportions separated by commas, at least one above zero. */
    public static String tensorSplitProblem(String v) {
        if (v == null) return null;
        double[] d = parseSplit(v);
        if (d == null) return "takes proportions per GPU separated by commas, e.g. 3,1 (not '" + v + "')";
        if (java.util.Arrays.stream(d).sum() <= 0) return "needs at least one proportion above 0 (not '" + v + "')";
        return null;
    }

    /** The proportions of a split, or null when it is not a list of non-negative numbers. */
    public static double[] parseSplit(String v) {
        if (v == null) return null;
        String[] parts = v.strip().split("\\s*[,/]\\s*");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                return null;
            }
            if (!(out[i] >= 0) || Double.isInfinite(out[i])) return null;
        }
        return out;
    }

    /** A split mode: none, layer, row or tensor (whether the binary has it is said when it is launched). */
    public static String splitModeProblem(String v) {
        if (v == null || SPLIT_MODES.contains(v)) return null;
        return "takes " + String.join(", ", SPLIT_MODES) + " (not '" + v + "')";
    }

    /** KV cache types {@code K,V}, or one type for both. */
    public static String cacheTypeProblem(String v) {
        if (v == null) return null;
        String[] kv = cacheTypes(v);
        if (kv == null) return "takes a type for K and V, e.g. q8_0 or q8_0,q8_0 (not '" + v + "')";
        for (String t : kv) {
            if (!MemoryPlan.KV_TYPES.containsKey(t)) {
                return "takes " + String.join(", ", MemoryPlan.KV_TYPES.keySet()) + " (not '" + t + "')";
            }
        }
        return null;
    }

    /** {@code {k, v}} of {@code q8_0} or {@code q8_0,q4_0} (lower case), or null when there are more than two. */
    public static String[] cacheTypes(String v) {
        String[] p = v.strip().toLowerCase(Locale.ROOT).split("\\s*,\\s*");
        if (p.length == 1 && !p[0].isEmpty()) return new String[] {p[0], p[0]};
        if (p.length == 2 && !p[0].isEmpty() && !p[1].isEmpty()) return p;
        return null;
    }

    /** Whether a KV cache type is quantized (a quantized V needs flash attention). */
    public static boolean quantized(String type) {
        return type != null && !List.of("f32", "f16", "bf16").contains(type);
    }

    /** A positive whole number (parallel slots, draft tokens). */
    public static String positiveProblem(Integer v) {
        if (v == null || v >= 1) return null;
        return "must be 1 or more (not " + v + ")";
    }

    /** Fails in one line when a GPU option of {@code spec} is wrong (the engine's own words, for the Java door). */
    public static void check(ServerSpec spec) {
        need("GPU list", gpusProblem(spec.gpus()));
        need("tensor split", tensorSplitProblem(spec.tensorSplit()));
        need("split mode", splitModeProblem(spec.splitMode()));
        if (spec.cacheTypeK() != null) need("KV cache type", cacheTypeProblem(spec.cacheTypeK()));
        if (spec.cacheTypeV() != null) need("KV cache type", cacheTypeProblem(spec.cacheTypeV()));
        need("parallel slots", positiveProblem(spec.parallel()));
        need("draft tokens", positiveProblem(spec.draftMax()));
        if (quantized(spec.cacheTypeV()) && "off".equals(spec.flashAttention())) {
            throw new UserError("a quantized V cache (" + spec.cacheTypeV() + ") needs flash attention, which is off");
        }
    }

    private static void need(String what, String problem) {
        if (problem != null) throw new UserError(what + " " + problem);
    }

    // ---- the flags -----------------------------------------------------------------------------------------

    /** The GPU options' flags for this binary (called by {@link ServerFlags#argv}). */
    static void argv(ServerFlags f, ServerSpec spec, List<List<String>> a, List<String> notes) {
        if (spec.tensorSplit() != null) {
            f.add(a, notes, spec.tensorSplit().strip().replaceAll("\\s+", "").replace('/', ','), "tensor split", "-ts", "--tensor-split");
        }
        if (spec.cacheTypeK() != null) cacheType(f, a, notes, spec.cacheTypeK(), "K", "-ctk", "--cache-type-k");
        if (spec.cacheTypeV() != null) cacheType(f, a, notes, spec.cacheTypeV(), "V", "-ctv", "--cache-type-v");
        if (Boolean.TRUE.equals(spec.fit()) && fitsItself(f)) f.add(a, notes, "on", "fitting", "-fit", "--fit");
        if (spec.draftModel() != null) {
            f.add(a, notes, spec.draftModel().toString(), "draft model", "-md", "--model-draft", "--spec-draft-model");
        }
        if (spec.draftMax() != null) {
            Optional<String> flag = live(f, "--spec-draft-n-max", "--draft-max", "--draft-n", "--draft");
            if (flag.isEmpty()) notes.add("draft tokens (" + spec.draftMax() + ") left out: this llama-server has no --spec-draft-n-max or --draft-max");
            else a.add(List.of(flag.get(), String.valueOf(spec.draftMax())));
        }
        if (spec.mmproj() != null) f.add(a, notes, spec.mmproj().toString(), "projector", "-mm", "--mmproj");
    }

    /** Whether the binary fits context and layers to device memory itself ({@code -fit}). */
    public static boolean fitsItself(ServerFlags f) {
        return live(f, "-fit", "--fit").isPresent();
    }

    /** The first spelling the binary knows and has not retired ("the argument has been removed"). */
    static Optional<String> live(ServerFlags f, String... spellings) {
        for (String s : spellings) {
            Optional<ServerFlags.Option> o = f.option(s);
            if (o.isPresent() && (o.get().help() == null || !o.get().help().contains("has been removed"))) return Optional.of(s);
        }
        return Optional.empty();
    }

    private static void cacheType(ServerFlags f, List<List<String>> a, List<String> notes, String type, String which, String... spellings) {
        Optional<String> flag = f.first(spellings);
        if (flag.isPresent()) {
            List<String> allowed = allowedValues(f.option(flag.get()).get().help());
            if (!allowed.isEmpty() && !allowed.contains(type)) {
                throw new UserError("KV cache type '" + type + "' for " + which + " is not accepted by this llama-server ("
                        + flag.get() + " takes " + String.join(", ", allowed) + ")");
            }
        }
        f.add(a, notes, type, "KV cache type of " + which, spellings);
    }

    /** The list after "allowed values:" in an option's help, or empty. */
    static List<String> allowedValues(String help) {
        if (help == null) return List.of();
        int i = help.indexOf("allowed values:");
        if (i < 0) return List.of();
        String rest = help.substring(i + "allowed values:".length());
        int end = rest.indexOf('(');
        if (end >= 0) rest = rest.substring(0, end);
        List<String> out = new ArrayList<>();
        for (String w : rest.split(",")) {
            String t = w.strip();
            if (t.matches("[a-z0-9_]+")) out.add(t);
        }
        return out;
    }

    // ---- defaults from the GPUs ----------------------------------------------------------------------------

    /** The GPUs nvidia-smi lists, only those of {@code gpus} when given (in that order), with free memory. */
    public static List<MemoryPlan.Device> devices(Map<String, String> env, String gpus) {
        List<Gpu> all = NvidiaSmi.queryGpus(env);
        List<MemoryPlan.Device> out = new ArrayList<>();
        List<Integer> wanted = null;
        if (gpus != null && gpusProblem(gpus) == null) {
            wanted = new ArrayList<>();
            for (String p : gpusText(gpus).split(",")) wanted.add(Integer.parseInt(p));
        }
        if (wanted == null) {
            for (Gpu g : all) device(g).ifPresent(out::add);
            return out;
        }
        for (int w : wanted) {
            Gpu g = all.stream().filter(x -> x.index() == w).findFirst().orElse(null);
            if (g == null && !all.isEmpty()) {
                throw new UserError("there is no GPU " + w + " (nvidia-smi lists " + String.join(", ",
                        all.stream().map(x -> String.valueOf(x.index())).toList()) + ")");
            }
            if (g != null) device(g).ifPresent(out::add);
        }
        return out;
    }

    private static Optional<MemoryPlan.Device> device(Gpu g) {
        if (g.memoryTotalMiB() == null) return Optional.empty();
        long used = g.memoryUsedMiB() == null ? 0 : g.memoryUsedMiB();
        return Optional.of(new MemoryPlan.Device(g.index(), g.name(), Math.max(0, g.memoryTotalMiB() - used) << 20, g.memoryTotalMiB() << 20));
    }

    /** Available RAM in bytes (0 when unknown). */
    public static long ramFree() {
        try {
            return HostStats.ram(Path.of("/proc")).availableKiB() << 10;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The memory request {@code spec} makes (context, layers, split, KV types, flash attention). */
    static MemoryPlan.Request request(ServerSpec spec, int nLayer) {
        Integer ngl = null;
        if (spec.ngl() != null) {
            String n = spec.ngl().strip();
            if (n.equals("all")) ngl = nLayer + 1;
            else if (n.matches("\\d+")) ngl = Integer.parseInt(n);
        }
        double[] split = spec.tensorSplit() == null ? null : parseSplit(spec.tensorSplit());
        String k = spec.cacheTypeK() == null ? "f16" : spec.cacheTypeK();
        String v = spec.cacheTypeV() == null ? "f16" : spec.cacheTypeV();
        Integer ctx = spec.ctx() == null || spec.ctx() == 0 ? null : spec.ctx();
        return new MemoryPlan.Request(ctx, ngl, split, k, v, !"off".equals(spec.flashAttention()));
    }

    /**
     * Defaults drawn from the GPUs, applied to {@code b} before the flags are made (called at launch and by
     * {@link #plan}): flash attention on for a quantized V cache; on several GPUs a tensor split proportional to
     * their free memory; with fitting asked of a binary that has no {@code -fit}, llamagic's estimate of the
     * context and GPU layers. Returns the plan when one was computed (null otherwise).
     */
    public static MemoryPlan.Plan apply(Context ctx, ServerSpec.Builder b, ServerFlags flags, List<String> notes, boolean planAnyway) {
        ServerSpec spec = b.build();
        check(spec);
        if (quantized(spec.cacheTypeV()) && spec.flashAttention() == null) {
            b.flashAttention("on");
            notes.add("a quantized V cache (" + spec.cacheTypeV() + ") needs flash attention: turned on");
        }
        boolean estimate = Boolean.TRUE.equals(spec.fit()) && !fitsItself(flags);
        boolean several = spec.tensorSplit() == null && !"none".equals(spec.splitMode());
        if (!estimate && !planAnyway && !(several && flags.gpu())) return null;
        List<MemoryPlan.Device> gpus = devices(ctx.env(), spec.gpus());
        if (several && gpus.size() > 1 && flags.gpu()) {
            String ts = MemoryPlan.splitText(MemoryPlan.splitByFree(gpus));
            b.tensorSplit(ts);
            notes.add("tensor split " + ts + " over GPUs " + String.join(",", gpus.stream().map(d -> String.valueOf(d.index())).toList())
                    + " (proportional to their free memory)");
        }
        if (!estimate && !planAnyway) return null;
        spec = b.build();
        MemoryPlan.Shape shape;
        try {
            shape = MemoryPlan.Shape.read(spec.modelPath());
        } catch (IOException e) {
            throw new UserError("cannot read " + spec.modelPath() + ": " + e.getMessage());
        }
        MemoryPlan.Request req = request(spec, shape.nLayer());
        MemoryPlan.Plan plan = MemoryPlan.plan(shape, flags.gpu() || planAnyway ? gpus : List.of(), req, ramFree());
        if (estimate) {
            List<String> set = new ArrayList<>();
            if (spec.ctx() == null) {
                b.ctx(plan.ctx());
                set.add("context " + plan.ctx());
            }
            if (spec.ngl() == null && flags.gpu()) {
                b.ngl(String.valueOf(plan.gpuLayers()));
                set.add(plan.gpuLayers() + " of " + plan.totalLayers() + " layers on the GPU");
            }
            notes.add("this llama-server cannot fit itself (no -fit in its --help): " + (set.isEmpty() ? "nothing left to fit"
                    : String.join(", ", set) + " are llamagic's estimate from free " + (gpus.isEmpty() ? "RAM" : "GPU memory")));
        }
        return plan;
    }

    /** What {@code %serve} would run, and the memory budget, without starting anything. */
    public record Planned(Path binary, List<String> argv, Map<String, String> env, List<String> notes, MemoryPlan.Plan plan,
                         List<MemoryPlan.Device> gpus, boolean fitsItself, boolean gpuBuild) {
        /** The command line as a shell would take it (the API key hidden). */
        public String command() {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, String> e : env.entrySet()) {
                parts.add(e.getKey() + "=" + (e.getKey().equals("LLAMA_API_KEY") ? "***" : e.getValue()));
            }
            parts.add(binary.toString());
            parts.addAll(argv);
            return String.join(" ", parts);
        }
    }

    /** The plan of {@code spec}: presets and GPU defaults applied, the flags fitted to the installed binary. */
    public static Planned plan(Context ctx, ServerSpec spec) {
        if (spec.preset() != null) Presets.check(spec.preset());
        Path model = spec.modelPath().toAbsolutePath();
        ModelLocator.checkGguf(model);
        Path binary = Llama.latest(ctx).binary("llama-server");
        ServerFlags flags = ServerFlags.probe(ctx, binary);
        ServerSpec.Builder b = spec.toBuilder().modelPath(model);
        List<String> notes = new ArrayList<>();
        Presets.apply(spec.preset(), b, flags, spec.preset() == null ? null : Presets.memory(flags), notes);
        MemoryPlan.Plan plan = apply(ctx, b, flags, notes, true);
        ServerSpec fitted = b.build();
        List<String> argv = new ArrayList<>(flags.argv(fitted, notes));
        int i = argv.indexOf("--port");
        if (i >= 0 && i + 1 < argv.size() && "null".equals(argv.get(i + 1))) argv.set(i + 1, "auto");
        List<String> shown = fitted.apiKey() == null ? argv : LlamaServer.redact(argv, fitted.apiKey());
        return new Planned(binary, List.copyOf(shown), flags.env(fitted), List.copyOf(notes), plan,
                devices(ctx.env(), fitted.gpus()), fitsItself(flags), flags.gpu());
    }
}
