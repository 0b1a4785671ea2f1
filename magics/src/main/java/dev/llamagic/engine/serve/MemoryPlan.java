package dev.llamagic.engine.serve;

import dev.llamagic.engine.gguf.GgufFile;
import dev.llamagic.engine.gguf.GgufReader;
import dev.llamagic.engine.gguf.GgufTensorInfo;
import dev.llamagic.engine.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a model's memory goes on the GPUs, estimated from its GGUF header the way llama.cpp places it: the last
 * {@code ngl} layers (the output layer counted as one more) on the GPUs, cut by the cumulative tensor split
 * exactly as {@code llama_model::load_tensors} does; the token embeddings stay in RAM; the KV cache of a layer sits
 * with the layer ({@code 2 × n_ctx × n_head_kv × head_dim × bytes(type)} per layer); compute buffers estimated from
 * the micro-batch (logits on the GPU holding the output). {@link #plan} fits the context (and, when even the
 * smallest context does not fit, the layers) to the free memory, keeping {@link #MARGIN} free per GPU as llama.cpp's
 * own fitting does. Pure arithmetic, apart from {@link Shape#read}.
 */
public final class MemoryPlan {
    private MemoryPlan() {}

    /** Free memory left on every GPU, as llama.cpp's {@code --fit-target} default. */
    public static final long MARGIN = 1L << 30;
    /** llama-server's default micro-batch. */
    public static final int UBATCH = 512;
    /** The smallest context the fitting settles for before it takes layers off the GPU (llama.cpp's {@code --fit-ctx}). */
    public static final int MIN_CTX = 4096;

    /** KV cache element types and their bytes per element (blocks of 32 for the quantized ones). */
    public static final Map<String, Double> KV_TYPES = orderedKvTypes();

    private static Map<String, Double> orderedKvTypes() {
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("f32", 4.0);
        m.put("f16", 2.0);
        m.put("bf16", 2.0);
        m.put("q8_0", 34 / 32.0);
        m.put("q4_0", 18 / 32.0);
        m.put("q4_1", 20 / 32.0);
        m.put("iq4_nl", 18 / 32.0);
        m.put("q5_0", 22 / 32.0);
        m.put("q5_1", 24 / 32.0);
        return java.util.Collections.unmodifiableMap(m);
    }

    /** What the plan needs of a model: its shape and the bytes of each repeating layer, the output and the input. */
    public record Shape(int nLayer, long nEmbd, long nHead, long nHeadKv, long headDimK, long headDimV, long ctxTrain,
                        long nVocab, long[] layerBytes, long outputBytes, long inputBytes) {
        public long weights() {
            return Arrays.stream(layerBytes).sum() + outputBytes + inputBytes;
        }

        /** KV cache bytes per token of context for one layer. */
        public double kvPerTokenPerLayer(String k, String v) {
            return nHeadKv * (headDimK * KV_TYPES.get(k) + headDimV * KV_TYPES.get(v));
        }

        /** The shape of the GGUF at {@code file}, reading every part of a split GGUF. */
        public static Shape read(Path file) throws IOException {
            List<GgufFile> parts = new ArrayList<>();
            parts.add(GgufReader.read(file));
            Matcher m = SPLIT.matcher(file.getFileName().toString());
            if (m.matches()) {
                int n = Integer.parseInt(m.group(3));
                for (int i = 2; i <= n; i++) {
                    Path p = file.resolveSibling(String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf", m.group(1), i, n));
                    if (Files.isRegularFile(p)) parts.add(GgufReader.read(p));
                }
            }
            return of(parts);
        }

        /** The shape from the headers of a GGUF's parts (the first holds the metadata). */
        public static Shape of(List<GgufFile> parts) {
            GgufFile g = parts.get(0);
            String a = g.architecture() == null ? "" : g.architecture();
            int nLayer = (int) g.number(a + ".block_count", 0);
            long embd = g.number(a + ".embedding_length", 0);
            long heads = g.number(a + ".attention.head_count", 0);
            long kvHeads = g.number(a + ".attention.head_count_kv", heads);
            long headDim = heads > 0 ? embd / heads : 0;
            long k = g.number(a + ".attention.key_length", headDim);
            long v = g.number(a + ".attention.value_length", headDim);
            long[] layers = new long[Math.max(0, nLayer)];
            long output = 0;
            long input = 0;
            long tokenEmbd = 0;
            boolean hasOutput = false;
            long vocab = g.number(a + ".vocab_size", 0);
            Pattern blk = Pattern.compile("^blk\\.(\\d+)\\..*");
            for (GgufFile part : parts) {
                for (GgufTensorInfo t : part.tensors()) {
                    Matcher m = blk.matcher(t.name());
                    if (m.matches()) {
                        int il = Integer.parseInt(m.group(1));
                        if (il < layers.length) layers[il] += t.bytes();
                        else output += t.bytes();
                    } else if (t.name().startsWith("token_embd.")) {
                        input += t.bytes();
                        if (t.name().equals("token_embd.weight")) {
                            tokenEmbd = t.bytes();
                            if (vocab == 0 && t.dims().length == 2) vocab = t.dims()[1];
                        }
                    } else {
                        if (t.name().equals("output.weight")) hasOutput = true;
                        output += t.bytes();
                    }
                }
            }
            // tied embeddings: llama.cpp copies token_embd to the output's device
            if (!hasOutput) output += tokenEmbd;
            if (vocab == 0) {
                GgufValue tokens = g.get("tokenizer.ggml.tokens");
                if (tokens != null && tokens.value() instanceof List<?> l) vocab = l.size();
            }
            return new Shape(nLayer, embd, heads, kvHeads, k, v, g.contextLength(), vocab, layers, output, input);
        }
    }

    /** One GPU the plan may use: its index (as nvidia-smi numbers it), name and memory. */
    public record Device(int index, String name, long freeBytes, long totalBytes) {}

    /**
     * What was asked: a context (null: fit it), GPU layers (null: as many as fit), a tensor split (null:
     * proportional to free memory), KV cache types, flash attention (off makes attention scores grow with the context).
     */
    public record Request(Integer ctx, Integer ngl, double[] tensorSplit, String cacheK, String cacheV, boolean flashAttention) {
        public static Request defaults() {
            return new Request(null, null, null, "f16", "f16", true);
        }
    }

    /** One row of the budget: a GPU, or the host ({@code device} "CPU", its free memory the available RAM). */
    public record Row(String device, int layers, long weights, long kv, long compute, long free) {
        public long freeAfter() {
            return free - weights - kv - compute;
        }
    }

    /**
     * The result: rows (the GPUs, then the CPU), the context, whether it was fitted (not given), the GPU layers
     * in llama.cpp's {@code -ngl} counting ({@code nLayer + 1} = all, the output included), the tensor split
     * used, and whether everything fits with the margin left.
     */
    public record Plan(List<Row> rows, int ctx, boolean ctxFitted, int gpuLayers, int totalLayers, double[] split, boolean fits) {
        /** The split as {@code -ts} takes it: proportions with up to 3 decimals ({@code 1,1}, {@code 0.6,0.4}). */
        public String splitArg() {
            return splitText(split);
        }
    }

    /** Proportions without needless decimals. */
    public static String splitText(double[] split) {
        if (split == null) return "";
        double sum = Arrays.stream(split).sum();
        boolean whole = Arrays.stream(split).allMatch(d -> Math.abs(d - Math.rint(d)) < 1e-9);
        List<String> out = new ArrayList<>();
        for (double d : split) {
            if (whole) out.add(Long.toString(Math.round(d)));
            else {
                String s = String.format(Locale.ROOT, "%.3f", sum > 0 ? d / sum : 0).replaceFirst("0+$", "");
                out.add(s.endsWith(".") ? s.substring(0, s.length() - 1) : s);
            }
        }
        return String.join(",", out);
    }

    /** The split proportional to the devices' free memory (equal free memory: all ones). */
    public static double[] splitByFree(List<Device> gpus) {
        double[] s = new double[gpus.size()];
        long min = gpus.stream().mapToLong(Device::freeBytes).filter(f -> f > 0).min().orElse(1);
        boolean equal = gpus.stream().allMatch(d -> d.freeBytes() == gpus.get(0).freeBytes());
        for (int i = 0; i < s.length; i++) s[i] = equal ? 1 : Math.max(0, gpus.get(i).freeBytes()) / (double) min;
        return s;
    }

    /** The budget for {@code shape} on {@code gpus} (none: all on the CPU) and {@code ramFree} bytes of RAM. */
    public static Plan plan(Shape shape, List<Device> gpus, Request r, long ramFree) {
        int total = shape.nLayer() + 1;
        double[] split = r.tensorSplit() != null ? r.tensorSplit() : splitByFree(gpus);
        if (gpus.isEmpty()) return build(shape, gpus, split, 0, r, ramFree, r.ctx(), true);
        int maxNgl = r.ngl() != null ? Math.min(r.ngl(), total) : total;
        int minNgl = r.ngl() != null ? maxNgl : 0;
        Plan last = null;
        for (int ngl = maxNgl; ngl >= minNgl; ngl--) {
            Plan p = build(shape, gpus, split, ngl, r, ramFree, r.ctx(), false);
            last = p;
            if (p.fits()) return p;
        }
        return last;
    }

    private static Plan build(Shape s, List<Device> gpus, double[] split, int ngl, Request r, long ramFree, Integer ctxAsked, boolean cpuOnly) {
        int nLayer = s.nLayer();
        int n = gpus.size();
        int[] layers = new int[n];
        long[] weights = new long[n];
        boolean[] output = new boolean[n];
        int cpuLayers = 0;
        long cpuWeights = s.inputBytes();
        boolean cpuOutput = false;
        // llama.cpp: layers il >= n_layer - ngl go to the GPU upper_bound(cumulative split, (il - start) / act)
        int start = Math.max(nLayer - ngl, 0);
        int act = n == 0 ? 0 : Math.min(ngl, nLayer + 1);
        double[] cum = cumulative(split, n);
        for (int il = 0; il <= nLayer; il++) {
            long bytes = il < nLayer ? s.layerBytes()[il] : s.outputBytes();
            int dev = -1;
            if (!cpuOnly && n > 0 && il >= start && il - start < act) {
                double x = (il - start) / (double) act;
                dev = 0;
                while (dev < n - 1 && cum[dev] <= x) dev++;
            }
            if (dev < 0) {
                cpuWeights += bytes;
                if (il < nLayer) cpuLayers++;
                else cpuOutput = true;
            } else {
                weights[dev] += bytes;
                if (il < nLayer) layers[dev]++;
                else output[dev] = true;
            }
        }
        double perLayer = s.kvPerTokenPerLayer(r.cacheK(), r.cacheV());
        // attention scores without flash attention grow with the context: f32, ubatch x n_head per token
        double scoresPerToken = r.flashAttention() ? 0 : 4.0 * UBATCH * s.nHead();
        long[] fixedCompute = new long[n + 1];
        for (int i = 0; i < n; i++) fixedCompute[i] = layers[i] == 0 && !output[i] ? 0 : compute(s, output[i]);
        fixedCompute[n] = compute(s, cpuOutput);
        int ctx;
        boolean fitted = ctxAsked == null || ctxAsked == 0;
        long trained = s.ctxTrain() > 0 ? s.ctxTrain() : MIN_CTX;
        if (!fitted) {
            ctx = ctxAsked;
        } else {
            double best = trained;
            for (int i = 0; i < n; i++) {
                if (layers[i] == 0 && !output[i]) continue;
                double room = gpus.get(i).freeBytes() - MARGIN - weights[i] - fixedCompute[i];
                double perToken = layers[i] * perLayer + scoresPerToken;
                best = Math.min(best, perToken > 0 ? room / perToken : (room >= 0 ? trained : -1));
            }
            if (cpuOnly || n == 0) {
                double room = ramFree - cpuWeights - fixedCompute[n];
                double perToken = nLayer * perLayer + scoresPerToken;
                if (ramFree > 0) best = Math.min(best, perToken > 0 ? room / perToken : best);
            }
            ctx = (int) Math.max(0, Math.min(trained, Math.floor(best / 256) * 256));
        }
        List<Row> rows = new ArrayList<>();
        boolean fits = true;
        for (int i = 0; i < n; i++) {
            boolean used = layers[i] > 0 || output[i];
            long kv = (long) Math.ceil(layers[i] * perLayer * ctx);
            long compute = used ? fixedCompute[i] + (long) (scoresPerToken * ctx) : 0;
            Device d = gpus.get(i);
            Row row = new Row("GPU " + d.index() + " " + d.name(), layers[i], weights[i], kv, compute, d.freeBytes());
            rows.add(row);
            if (used && row.freeAfter() < MARGIN) fits = false;
        }
        long cpuKv = (long) Math.ceil(cpuLayers * perLayer * ctx);
        boolean cpuCompute = n == 0 || cpuOnly || cpuLayers > 0 || cpuOutput;
        Row cpu = new Row("CPU (RAM)", cpuLayers, cpuWeights, cpuKv,
                cpuCompute ? fixedCompute[n] + (long) (scoresPerToken * ctx) : 0, ramFree);
        rows.add(cpu);
        // the RAM bounds a CPU-only plan; with GPUs, weights left in RAM are mmap'd and need not all be resident
        if (ramFree > 0 && cpu.freeAfter() < 0 && (n == 0 || cpuOnly)) fits = false;
        if (fitted && ctx < Math.min(MIN_CTX, trained)) fits = false;
        int gpuLayers = 0;
        for (int i = 0; i < n; i++) gpuLayers += layers[i] + (output[i] ? 1 : 0);
        return new Plan(List.copyOf(rows), ctx, fitted, gpuLayers, nLayer + 1, split, fits);
    }

    /** The compute buffer estimate of one device: activations of a micro-batch, and the logits where the output is. */
    static long compute(Shape s, boolean output) {
        long act = 4L * UBATCH * s.nEmbd() * 16;
        return act + (output ? 4L * UBATCH * s.nVocab() : 0);
    }

    private static double[] cumulative(double[] split, int n) {
        double[] cum = new double[n];
        if (n == 0) return cum;
        double sum = 0;
        for (int i = 0; i < n; i++) sum += i < split.length ? Math.max(0, split[i]) : 0;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += i < split.length ? Math.max(0, split[i]) : 0;
            cum[i] = sum > 0 ? acc / sum : (i + 1) / (double) n;
        }
        return cum;
    }

    private static final Pattern SPLIT = Pattern.compile("^(.*)-(\\d{5})-of-(\\d{5})\\.gguf$");
}
