package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hugging Face safetensors → GGUF in Java, as llama.cpp's convert_hf_to_gguf.py does it for the architectures
 * in {@link Arch#all()}: same metadata, tensor names, shapes and types. Tensors are converted in parallel in
 * chunks (a bounded number in flight, so memory stays bounded whatever the model size) and written once,
 * in order, into a temporary file beside the output, renamed at the end; tensors whose type does not change
 * are copied file-to-file by the kernel. On any error or interrupt the temporary file is deleted.
 */
public final class HfConverter {
    /** Elements per chunk (a multiple of the Q8_0 block). */
    static final int CHUNK = 1 << 21;
    /**
     * Threads used unless told otherwise. Each adds ~30 MiB of scratch and two 8 MiB output chunks in flight, and
     * the conversion is bound by reading and writing, not by the CPU: on a 16-core GPU machine a Qwen2.5-VL-3B
     * (both files) took 5.1 s with 8 threads (peak RSS 1.1 GiB), 6.4 s with 4 (0.75 GiB) and 5.5 s with 2
     * (0.55 GiB), against 5.1–6.0 s for {@code cp} of the same bytes (docs/BENCHMARKS.md).
     */
    public static final int DEFAULT_MAX_THREADS = 4;
    public static final String TMP_SUFFIX = ".llamagic-tmp";
    /** The output types {@link Options#outtype()} takes. */
    public static final List<String> OUTTYPES = List.of("f32", "f16", "bf16", "q8_0", "auto");
    /** {@link #OUTTYPES} as a message lists them: "f32, f16, bf16, q8_0 or auto". */
    public static final String OUTTYPE_NAMES = String.join(", ", OUTTYPES.subList(0, OUTTYPES.size() - 1))
            + " or " + OUTTYPES.get(OUTTYPES.size() - 1);

    /**
     * What to convert and how: {@code Options.builder(dir).outtype("f16").build()}.
     *
     * @param modelDir the Hugging Face model directory (config.json, tokenizer, *.safetensors)
     * @param outtype  f32, f16, bf16, q8_0 or auto (null: auto)
     * @param outfile  where to write (a file, or a directory for the default name; {ftype} is replaced); null:
     *                 the default name, as llama.cpp names it, inside the model directory
     * @param threads  conversion threads; 0 or less: the CPU cores, at most {@link #DEFAULT_MAX_THREADS}
     * @param keepFree bytes that must stay free on the output's disk after writing
     */
    public record Options(Path modelDir, String outtype, Path outfile, int threads, long keepFree) {
        public Options {
            if (outtype == null) outtype = "auto";
            if (threads <= 0) threads = Math.max(1, Math.min(DEFAULT_MAX_THREADS, Runtime.getRuntime().availableProcessors()));
        }

        public static Options of(Path modelDir) {
            return new Options(modelDir, "auto", null, 0, 0);
        }

        public static Builder builder(Path modelDir) {
            return new Builder(modelDir);
        }

        /** The same options, to change one. */
        public Builder toBuilder() {
            return new Builder(modelDir).outtype(outtype).outfile(outfile).threads(threads).keepFree(keepFree);
        }
    }

    /** Builds {@link Options}; unset values are the defaults ({@code auto}, the default file name, all cores). */
    public static final class Builder {
        private final Path modelDir;
        private String outtype = "auto";
        private Path outfile;
        private int threads;
        private long keepFree;

        private Builder(Path modelDir) {
            this.modelDir = java.util.Objects.requireNonNull(modelDir, "modelDir");
        }

        /** f32, f16, bf16, q8_0 or auto. */
        public Builder outtype(String t) {
            outtype = t;
            return this;
        }

        public Builder outfile(Path f) {
            outfile = f;
            return this;
        }

        public Builder threads(int n) {
            threads = n;
            return this;
        }

        public Builder keepFree(long bytes) {
            keepFree = bytes;
            return this;
        }

        public Options build() {
            return new Options(modelDir, outtype, outfile, threads, keepFree);
        }
    }

    /**
     * One output tensor: where it comes from and what it becomes. {@code rowOrder} (or null): the source row of
     * each output row; {@code generated} (or null, then {@code src} is null): F32 values the converter made.
     */
    public record Planned(String name, Safetensors.Tensor src, GgmlType type, long[] dims, int[] rowOrder, float[] generated) {
        long elements() {
            return generated != null ? generated.length : src.elements();
        }

        long sourceBytes() {
            return generated != null ? 0 : src.length();
        }
    }

    /** Everything decided before writing: metadata, tensors with offsets, the output path. */
    public record Plan(Path modelDir, Arch arch, String outputType, int fileType, Map<String, GgufValue> metadata,
                       List<Planned> tensors, List<GgufTensorInfo> infos, Path out, long sourceBytes, long parameters) {
        public long dataBytes() {
            return GgufWriter.dataBytes(infos, GgufWriter.DEFAULT_ALIGNMENT);
        }
    }

    /** What a finished conversion did. */
    public record Result(Path out, long bytes, long sourceBytes, int tensors, long parameters, String outputType,
                         double seconds, long peakHeap, long peakBuffers, long peakRss, int threads) {}

    private HfConverter() {}

    // ---- planning --------------------------------------------------------------------------------------

    public static Plan plan(Options o) throws IOException {
        Path dir = o.modelDir().toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) throw new UserError(dir + " is not a directory (give the model's directory)");
        JsonNode cfg = textConfig(config(dir));
        String hfArch = cfg.path("architectures").path(0).asText(null);
        if (hfArch == null) throw new UserError("config.json in " + dir + " names no architectures");
        Arch arch = Arch.find(hfArch);
        if (arch == null) {
            throw new ConvertError(ConvertError.Reason.ARCHITECTURE, "architecture " + hfArch
                    + " is not converted by llamagic itself (it converts "
                    + String.join(", ", Arch.all().stream().flatMap(a -> a.hfNames().stream()).toList()) + "){advice}");
        }
        Safetensors st = Safetensors.open(dir);

        GgmlType ftype = outtype(o.outtype(), st);
        int fileType = switch (ftype) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            default -> 32;
        };
        String outputType = ftype.name();

        List<Planned> planned = new ArrayList<>();
        for (Arch.Extra x : arch.extraTensors(cfg)) {
            planned.add(new Planned(x.name(), null, GgmlType.F32, new long[] {x.data().length}, null, x.data()));
        }
        for (Safetensors.Tensor t : st.tensors()) {
            String name = arch.tensorName(stripLanguageModel(t.name()));
            if (name == null) continue;
            int nd = t.shape().length;
            GgmlType type;
            if (nd <= 1 || name.endsWith("_norm.weight") || !name.endsWith(".weight")) {
                type = GgmlType.F32;
            } else {
                type = ftype;
                if (type == GgmlType.Q8_0 && t.shape()[nd - 1] % 32 != 0) type = GgmlType.F16;
            }
            long[] dims = new long[nd];
            for (int i = 0; i < nd; i++) dims[i] = t.shape()[nd - 1 - i];
            int[] order = arch.rowOrder(stripLanguageModel(t.name()), t.shape().length == 0 ? 1 : t.shape()[0], cfg);
            planned.add(new Planned(name, t, type, dims, order, null));
        }
        long params = planned.stream().mapToLong(Planned::elements).sum();

        ModelName names = ModelName.derive(cfg.path("_name_or_path").asText(null), dir.getFileName().toString(), params);
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", GgufValue.string(arch.ggufName()));
        kv.put("general.type", GgufValue.string("model"));
        general(dir, names, kv);
        arch.parameters(cfg, kv, fileType);
        kv.put("general.quantization_version", GgufValue.u32(2));
        arch.vocab(dir, cfg, kv);

        Path out = outputPath(dir, o.outfile(), names, outputType);

        List<GgufTensorInfo> infos = new ArrayList<>();
        for (Planned p : planned) infos.add(new GgufTensorInfo(p.name(), p.dims(), p.type(), 0));
        infos = GgufWriter.layout(infos, GgufWriter.DEFAULT_ALIGNMENT);
        long srcBytes = planned.stream().mapToLong(Planned::sourceBytes).sum();
        return new Plan(dir, arch, outputType, fileType, kv, List.copyOf(planned), infos, out, srcBytes, params);
    }

    /** Multimodal configs keep the language model's parameters in text_config: merged on top, as llama.cpp does. */
    static JsonNode textConfig(JsonNode cfg) {
        if (cfg.has("text_config") && cfg.get("text_config").isObject()) {
            com.fasterxml.jackson.databind.node.ObjectNode merged = ((com.fasterxml.jackson.databind.node.ObjectNode) cfg).deepCopy();
            merged.setAll((com.fasterxml.jackson.databind.node.ObjectNode) cfg.get("text_config"));
            return merged;
        }
        return cfg;
    }

    /** The general.* keys after architecture and type: sampling defaults from generation_config.json, then names. */
    static void general(Path dir, ModelName names, Map<String, GgufValue> kv) throws IOException {
        Path gen = dir.resolve("generation_config.json");
        if (Files.isRegularFile(gen)) {
            JsonNode g;
            try {
                g = TokenizerExport.readJson(gen);
            } catch (UserError e) {
                g = null; // llama.cpp ignores an invalid generation_config.json too
            }
            if (g != null) {
                if (g.path("top_k").isNumber()) kv.put("general.sampling.top_k", GgufValue.i32(g.get("top_k").asLong()));
                if (g.path("top_p").isNumber()) kv.put("general.sampling.top_p", GgufValue.f32(g.get("top_p").asDouble()));
                if (g.path("min_p").isNumber()) kv.put("general.sampling.min_p", GgufValue.f32(g.get("min_p").asDouble()));
                if (g.path("temperature").isNumber()) kv.put("general.sampling.temp", GgufValue.f32(g.get("temperature").asDouble()));
                JsonNode rp = g.has("penalty_repeat") ? g.get("penalty_repeat") : g.get("repetition_penalty");
                if (rp != null && rp.isNumber()) kv.put("general.sampling.penalty_repeat", GgufValue.f32(rp.asDouble()));
            }
        }
        kv.put("general.name", GgufValue.string(names.name()));
        if (names.version() != null) kv.put("general.version", GgufValue.string(names.version()));
        if (names.organization() != null) kv.put("general.organization", GgufValue.string(names.organization()));
        if (names.finetune() != null) kv.put("general.finetune", GgufValue.string(names.finetune()));
        if (names.basename() != null) kv.put("general.basename", GgufValue.string(names.basename()));
        if (names.sizeLabel() != null) kv.put("general.size_label", GgufValue.string(names.sizeLabel()));
    }

    /**
     * Where the GGUF goes: {@code outfile} with {ftype}/{outtype} filled in (a directory: the default name inside
     * it), else the default name, as llama.cpp names it, inside the model directory.
     */
    static Path outputPath(Path modelDir, Path outfile, ModelName names, String outputType) {
        if (outfile == null) return modelDir.resolve(names.fileName(outputType));
        String f = outfile.getFileName().toString();
        f = f.replace("{ftype}", outputType.toLowerCase(Locale.ROOT)).replace("{outtype}", outputType.toLowerCase(Locale.ROOT))
                .replace("{FTYPE}", outputType).replace("{OUTTYPE}", outputType);
        Path out = outfile.toAbsolutePath().resolveSibling(f);
        return Files.isDirectory(out) ? out.resolve(names.fileName(outputType)) : out;
    }

    /** config.json of a Hugging Face model directory, or a one-line error. */
    static JsonNode config(Path dir) throws IOException {
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) {
            throw new UserError(dir + " has no config.json: not a Hugging Face model directory");
        }
        return TokenizerExport.readJson(cfgFile);
    }

    private static String stripLanguageModel(String name) {
        return name.contains("language_model.") ? name.replace("language_model.", "") : name;
    }

    /** The tensor type an {@code --outtype} means (auto: as llama.cpp decides it from the source). */
    static GgmlType outtype(String outtype, Safetensors st) {
        return switch (outtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> GgmlType.F32;
            case "f16" -> GgmlType.F16;
            case "bf16" -> GgmlType.BF16;
            case "q8_0" -> GgmlType.Q8_0;
            case "auto" -> autoType(st);
            default -> throw new UserError("unknown output type " + outtype + " (" + OUTTYPE_NAMES + ")");
        };
    }

    /** --outtype auto: the first matrix's dtype when it is BF16 or F16, else F16 (as llama.cpp). */
    static GgmlType autoType(Safetensors st) {
        for (Safetensors.Tensor t : st.tensors()) {
            if (t.shape().length < 2) continue;
            if (t.dtype().equals("BF16")) return GgmlType.BF16;
            if (t.dtype().equals("F16")) return GgmlType.F16;
            break;
        }
        return GgmlType.F16;
    }

    // ---- writing ---------------------------------------------------------------------------------------

    /** Writes the planned GGUF: temp file, parallel conversion, sequential writes, rename. */
    public static Result write(Context ctx, Plan plan, Options o, Progress progress) throws IOException {
        byte[] header = GgufWriter.header(plan.metadata(), plan.infos(), GgufWriter.DEFAULT_ALIGNMENT);
        Path out = plan.out();
        Path outDir = out.getParent();
        checkDisk(plan, o, header.length);
        Path tmp = out.resolveSibling(out.getFileName() + TMP_SUFFIX);
        long started = System.nanoTime();
        MemoryPeak peak = new MemoryPeak();
        ExecutorService pool = Executors.newFixedThreadPool(o.threads(), r -> {
            Thread t = new Thread(r, "llamagic-to-gguf");
            t.setDaemon(true);
            return t;
        });
        boolean ok = false;
        Map<Path, FileChannel> sources = new HashMap<>();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            writeFully(ch, ByteBuffer.wrap(header));
            for (Path f : distinctFiles(plan)) {
                sources.put(f, FileChannel.open(f, StandardOpenOption.READ));
            }
            new Pipeline(ctx, ch, sources, pool, o.threads(), progress, peak).run(plan);
            ch.force(false);
            ok = true;
        } catch (ClosedByInterruptException e) {
            throw new Interrupted();
        } catch (IOException e) {
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("No space left")) {
                throw new ConvertError(ConvertError.Reason.DISK, "the disk under " + outDir + " filled up while writing "
                        + out.getFileName() + ": free some space{advice}");
            }
            throw e;
        } finally {
            pool.shutdownNow();
            for (FileChannel c : sources.values()) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // read-only
                }
            }
            if (!ok) {
                try {
                    pool.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Files.deleteIfExists(tmp);
            }
        }
        try {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        double secs = (System.nanoTime() - started) / 1e9;
        peak.sample();
        return new Result(out, Files.size(out), plan.sourceBytes(), plan.tensors().size(), plan.parameters(),
                plan.outputType(), secs, peak.heap, peak.buffers, MemoryPeak.vmHwm(), o.threads());
    }

    /** Fails in one line unless the whole GGUF (plus {@code keepFree}) fits on the output's disk. */
    public static void checkDisk(Plan plan, Options o, long headerBytes) throws IOException {
        long total = headerBytes + plan.dataBytes();
        Path outDir = plan.out().getParent();
        Files.createDirectories(outDir);
        long usable = Files.getFileStore(outDir).getUsableSpace();
        if (usable < total + o.keepFree()) {
            throw new ConvertError(ConvertError.Reason.DISK, "not enough disk space in " + outDir + ": the GGUF needs "
                    + Units.bytes(total) + (o.keepFree() > 0 ? " and " + Units.bytes(o.keepFree()) + " must stay free" : "")
                    + ", only " + Units.bytes(usable) + " are free: free some space{advice}");
        }
    }

    private static List<Path> distinctFiles(Plan plan) {
        return plan.tensors().stream().filter(p -> p.src() != null).map(p -> p.src().file()).distinct().toList();
    }

    static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Samples the JVM heap in use and the NIO buffers in use; VmHWM from /proc for the whole process. */
    static final class MemoryPeak {
        long heap;
        long buffers;
        private final java.lang.management.MemoryMXBean mem = java.lang.management.ManagementFactory.getMemoryMXBean();
        private final List<java.lang.management.BufferPoolMXBean> pools =
                java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class);

        void sample() {
            heap = Math.max(heap, mem.getHeapMemoryUsage().getUsed());
            long used = 0;
            for (java.lang.management.BufferPoolMXBean b : pools) used += Math.max(0, b.getMemoryUsed());
            buffers = Math.max(buffers, used);
        }

        /** The process's peak resident set (VmHWM), or -1 where /proc is not available. */
        static long vmHwm() {
            try {
                for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            } catch (IOException | RuntimeException ignored) {
                // not Linux
            }
            return -1;
        }
    }

    /** The chunked, parallel, in-order conversion. */
    private static final class Pipeline {
        private final Context ctx;
        private final FileChannel out;
        private final Map<Path, FileChannel> sources;
        private final ExecutorService pool;
        private final int maxInFlight;
        private final Progress progress;
        private final MemoryPeak peak;
        private final BlockingQueue<ByteBuffer> buffers;
        private final AtomicInteger allocated = new AtomicInteger();
        private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
        private final ArrayDeque<Pending> pending = new ArrayDeque<>();
        private long lastSample;

        Pipeline(Context ctx, FileChannel out, Map<Path, FileChannel> sources, ExecutorService pool, int threads,
                 Progress progress, MemoryPeak peak) {
            this.ctx = ctx;
            this.out = out;
            this.sources = sources;
            this.pool = pool;
            this.maxInFlight = threads * 2 + 1;
            this.progress = progress;
            this.peak = peak;
            this.buffers = new ArrayBlockingQueue<>(maxInFlight + 1);
        }

        /** A chunk on its way to the file: converted bytes (future), or a same-type range copied by the kernel. */
        private record Pending(Future<ByteBuffer> converted, Safetensors.Tensor copyOf, long from, long length,
                               long srcBytes, long padAfter) {}

        void run(Plan plan) throws IOException {
            for (Planned p : plan.tensors()) {
                if (p.generated() != null) {
                    ByteBuffer b = ByteBuffer.allocate(p.generated().length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(p.generated());
                    long bytes = p.generated().length * 4L;
                    enqueue(new Pending(java.util.concurrent.CompletableFuture.completedFuture(b), null, 0, 0, 0,
                            GgufWriter.pad(bytes, GgufWriter.DEFAULT_ALIGNMENT) - bytes));
                    continue;
                }
                Safetensors.Tensor src = p.src();
                long n = src.elements();
                if (p.rowOrder() != null) {
                    enqueueRows(p, src, n);
                    continue;
                }
                int srcEs = src.elementSize();
                boolean same = src.type() == p.type();
                long padAfter = GgufWriter.pad(p.type().bytes(n), GgufWriter.DEFAULT_ALIGNMENT) - p.type().bytes(n);
                for (long e0 = 0; e0 < n || (n == 0 && e0 == 0); e0 += CHUNK) {
                    int count = (int) Math.min(CHUNK, n - e0);
                    boolean last = e0 + CHUNK >= n;
                    long pad = last ? padAfter : 0;
                    if (same) {
                        enqueue(new Pending(null, src, src.offset() + e0 * srcEs, (long) count * srcEs, (long) count * srcEs, pad));
                    } else {
                        final long from = src.offset() + e0 * srcEs;
                        final int cnt = count;
                        Future<ByteBuffer> f = pool.submit(() -> convert(src, from, cnt, p.type()));
                        enqueue(new Pending(f, null, 0, 0, (long) count * srcEs, pad));
                    }
                    if (n == 0) break;
                }
            }
            while (!pending.isEmpty()) drainOne();
        }

        /** A tensor whose rows are reordered: chunks of whole output rows, each gathered from its source rows. */
        private void enqueueRows(Planned p, Safetensors.Tensor src, long n) throws IOException {
            int rows = p.rowOrder().length;
            long rowLen = n / rows;
            if (rowLen * rows != n || rowLen > CHUNK) {
                throw new IllegalStateException(p.name() + ": rows of " + rowLen + " elements cannot be reordered in chunks");
            }
            int srcEs = src.elementSize();
            int perChunk = (int) Math.max(1, CHUNK / rowLen);
            long padAfter = GgufWriter.pad(p.type().bytes(n), GgufWriter.DEFAULT_ALIGNMENT) - p.type().bytes(n);
            for (int r0 = 0; r0 < rows; r0 += perChunk) {
                final int first = r0;
                final int count = Math.min(perChunk, rows - r0);
                Future<ByteBuffer> f = pool.submit(() -> convertRows(src, p.rowOrder(), first, count, (int) rowLen, p.type()));
                enqueue(new Pending(f, null, 0, 0, count * rowLen * srcEs, r0 + count >= rows ? padAfter : 0));
            }
        }

        private void enqueue(Pending p) throws IOException {
            ctx.checkInterrupted();
            while (pending.size() >= maxInFlight) drainOne();
            pending.addLast(p);
        }

        private void drainOne() throws IOException {
            Pending p = pending.removeFirst();
            if (p.converted() != null) {
                ByteBuffer b = await(p.converted());
                writeFully(out, b);
                b.clear();
                if (b.isDirect() && b.capacity() == CHUNK * 4) buffers.offer(b);
            } else {
                FileChannel src = sources.get(p.copyOf().file());
                long pos = p.from();
                long left = p.length();
                while (left > 0) {
                    long n = src.transferTo(pos, left, out);
                    if (n <= 0) throw new IOException("could not read " + p.copyOf().file());
                    pos += n;
                    left -= n;
                }
            }
            if (p.padAfter() > 0) writeFully(out, ByteBuffer.allocate((int) p.padAfter()));
            if (progress != null) progress.add(p.srcBytes());
            long now = System.nanoTime();
            if (now - lastSample > 100_000_000L) {
                peak.sample();
                lastSample = now;
            }
        }

        private ByteBuffer await(Future<ByteBuffer> f) throws IOException {
            while (true) {
                ctx.checkInterrupted();
                try {
                    return f.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // check the interrupt again
                } catch (InterruptedException e) {
                    ctx.cancel();
                    throw new Interrupted();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) throw io;
                    if (c instanceof RuntimeException r) throw r;
                    throw new IOException(c);
                }
            }
        }

        private ByteBuffer outBuffer() {
            ByteBuffer b = buffers.poll();
            if (b == null) {
                allocated.incrementAndGet();
                b = ByteBuffer.allocateDirect(CHUNK * 4);
            }
            return b.clear().order(ByteOrder.LITTLE_ENDIAN);
        }

        /** Per worker thread: the input buffer and arrays the kernels work in. */
        private static final class Scratch {
            final ByteBuffer in = ByteBuffer.allocateDirect(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
            final short[] s16 = new short[CHUNK];
            final float[] f32 = new float[CHUNK];
            final int[] i32 = new int[CHUNK];
            final byte[] q = new byte[CHUNK / 32 * 34];
        }

        private ByteBuffer convert(Safetensors.Tensor src, long from, int n, GgmlType to) throws IOException {
            Scratch s = scratch.get();
            int srcEs = src.elementSize();
            ByteBuffer in = s.in.clear().limit(n * srcEs);
            Safetensors.readFully(sources.get(src.file()), in, from);
            in.flip();
            return kernel(s, src.type(), n, to);
        }

        /** Output rows [first, first + count) of a reordered tensor, each read from its source row. */
        private ByteBuffer convertRows(Safetensors.Tensor src, int[] order, int first, int count, int rowLen, GgmlType to)
                throws IOException {
            Scratch s = scratch.get();
            int rowBytes = rowLen * src.elementSize();
            ByteBuffer in = s.in.clear();
            FileChannel ch = sources.get(src.file());
            for (int r = first; r < first + count; r++) {
                in.limit(in.position() + rowBytes);
                Safetensors.readFully(ch, in, src.offset() + (long) order[r] * rowBytes);
            }
            in.flip();
            return kernel(s, src.type(), count * rowLen, to);
        }

        /** Converts the {@code n} source elements in {@code s.in} to {@code to}, into an output buffer. */
        private ByteBuffer kernel(Scratch s, GgmlType st, int n, GgmlType to) {
            ByteBuffer in = s.in;
            ByteBuffer ob = outBuffer();
            if (st == to) {
                ob.put(in);
                ob.flip();
                return ob;
            }
            if (st == GgmlType.F32) {
                in.asFloatBuffer().get(s.f32, 0, n);
            } else {
                in.asShortBuffer().get(s.s16, 0, n);
            }
            switch (to) {
                case F32 -> {
                    if (st == GgmlType.BF16) {
                        for (int i = 0; i < n; i++) s.i32[i] = (s.s16[i] & 0xFFFF) << 16;
                        ob.asIntBuffer().put(s.i32, 0, n);
                    } else { // F16
                        for (int i = 0; i < n; i++) s.f32[i] = GgmlType.F16_TO_F32[s.s16[i] & 0xFFFF];
                        ob.asFloatBuffer().put(s.f32, 0, n);
                    }
                    ob.limit(n * 4);
                }
                case F16, BF16 -> {
                    if (st == GgmlType.F32) {
                        if (to == GgmlType.F16) for (int i = 0; i < n; i++) s.s16[i] = GgmlType.f32ToF16(s.f32[i]);
                        else for (int i = 0; i < n; i++) s.s16[i] = GgmlType.f32ToBf16(s.f32[i]);
                    } else {
                        short[] table = to == GgmlType.F16 ? GgmlType.BF16_TO_F16 : GgmlType.F16_TO_BF16;
                        for (int i = 0; i < n; i++) s.s16[i] = table[s.s16[i] & 0xFFFF];
                    }
                    ob.asShortBuffer().put(s.s16, 0, n);
                    ob.limit(n * 2);
                }
                case Q8_0 -> {
                    if (st == GgmlType.BF16) {
                        for (int i = 0; i < n; i++) s.f32[i] = Float.intBitsToFloat((s.s16[i] & 0xFFFF) << 16);
                    } else if (st == GgmlType.F16) {
                        for (int i = 0; i < n; i++) s.f32[i] = GgmlType.F16_TO_F32[s.s16[i] & 0xFFFF];
                    }
                    int blocks = n / 32;
                    for (int b = 0; b < blocks; b++) GgmlType.quantizeQ8_0(s.f32, b * 32, s.q, b * 34);
                    ob.put(s.q, 0, blocks * 34);
                    ob.flip();
                }
                default -> throw new IllegalStateException("no kernel for " + st + " → " + to);
            }
            ob.position(0);
            return ob;
        }
    }
}
