package dev.llamagic.engine.serve;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.util.Units;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.gguf.GgufFile;
import dev.llamagic.engine.gguf.GgufReader;
import dev.llamagic.engine.gpu.HostStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Named bundles of server settings. {@code qwen3}: the tutorial's Qwen3 settings — temperature 0.6, top-k 20,
 * top-p 0.95, min-p 0, reasoning format deepseek, every layer on the GPU, flash attention on, and a context of
 * 40960 tokens where the memory allows it (else the largest that fits, said so). Settings the user gave win.
 */
public final class Presets {
    private Presets() {}

    public static final List<String> NAMES = List.of("qwen3");
    public static final int QWEN3_CTX = 40960;

    /** Free memory for the KV cache: GPU memory on a GPU build, RAM otherwise. */
    public record Memory(long freeBytes, boolean gpu, String where) {}

    /** The preset's name in lower case; a one-line error naming the known ones when there is no such preset. */
    public static String check(String preset) {
        String p = preset.toLowerCase(Locale.ROOT);
        if (!NAMES.contains(p)) {
            String near = NAMES.stream().filter(n -> dev.llamagic.util.Similar.editDistance(n, p) <= 2).findFirst().orElse(null);
            throw new UserError("unknown preset '" + preset + "'" + (near == null ? "" : "; did you mean " + near + "?")
                    + " (known: " + String.join(", ", NAMES) + ")");
        }
        return p;
    }

    /** Applies {@code preset} to {@code b} (settings already set stay); notes get what was decided and why. */
    public static void apply(String preset, ServerSpec.Builder b, ServerFlags flags, Memory memory, List<String> notes) {
        if (preset == null) return;
        String p = check(preset);
        b.preset(p);
        if (b.temperature() == null) b.temperature(0.6);
        if (b.topK() == null) b.topK(20);
        if (b.topP() == null) b.topP(0.95);
        if (b.minP() == null) b.minP(0.0);
        if (b.reasoningFormat() == null) {
            if (flags.knows("--reasoning-format")) b.reasoningFormat("deepseek");
            else notes.add("this llama-server has no --reasoning-format: thinking stays inline in the answer");
        }
        if (b.flashAttention() == null) b.flashAttention("on");
        if (b.ngl() == null) {
            if (flags.gpu()) b.ngl("all");
            else notes.add("CPU-only llama.cpp build: every layer stays in RAM (no -ngl)");
        }
        if (b.ctx() == null) {
            GgufFile h = header(b.modelPath());
            b.ctx(fitContext(QWEN3_CTX, h, ModelLocator.totalBytes(b.modelPath()), memory, flags.gpu(), notes));
        }
    }

    private static GgufFile header(Path model) {
        try {
            return GgufReader.read(model);
        } catch (IOException | UserError e) {
            return null;
        }
    }

    /**
     * The largest context up to {@code wanted} (and the model's trained length) whose f16 KV cache fits in
     * the free memory left after the weights and a margin for compute buffers; halves from {@code wanted}.
     */
    static int fitContext(int wanted, GgufFile h, long modelBytes, Memory memory, boolean gpuBuild, List<String> notes) {
        int ctx = wanted;
        if (h != null && h.contextLength() > 0 && h.contextLength() < ctx) {
            ctx = (int) h.contextLength();
            notes.add("context " + ctx + ": the model was trained for " + ctx + " tokens");
        }
        long perToken = h == null ? 0 : h.kvBytesPerToken();
        if (perToken <= 0 || memory == null || memory.freeBytes() <= 0) {
            notes.add("context " + ctx + " (the KV cache size or the free memory is unknown: not checked)");
            return ctx;
        }
        long margin = Math.max(512L << 20, modelBytes / 10);
        long budget = memory.freeBytes() - modelBytes - margin;
        int chosen = ctx;
        while (chosen > 2048 && perToken * chosen > budget) chosen /= 2;
        String kv = Units.bytes(perToken * chosen);
        if (chosen == ctx) {
            notes.add(String.format(Locale.ROOT, "context %d: its KV cache (%s, f16) and the weights (%s) fit in the %s free %s",
                    chosen, kv, Units.bytes(modelBytes), Units.bytes(memory.freeBytes()), memory.where()));
        } else {
            notes.add(String.format(Locale.ROOT, "context %d instead of %d: a %d-token KV cache needs %s, and only %s %s is free"
                            + " beside the weights (%s)%s",
                    chosen, ctx, ctx, Units.bytes(perToken * ctx), Units.bytes(Math.max(0, budget)), memory.where(),
                    Units.bytes(modelBytes), perToken * chosen > budget ? "; even this may not fit" : ""));
        }
        if (!gpuBuild) {
            notes.add("CPU only: a long prompt takes a long time to process; generation speed does not depend on the context size");
        }
        return chosen;
    }

    /** Free memory where the KV cache goes: GPU (nvidia-smi now, else what the build listed) or RAM. */
    public static Memory memory(ServerFlags flags) {
        if (flags.gpu()) {
            long free = nvidiaSmiFree();
            if (free <= 0) free = flags.deviceFreeBytes();
            return new Memory(free, true, "GPU memory");
        }
        return new Memory(memAvailable(), false, "RAM");
    }

    static long nvidiaSmiFree() {
        if (ChildProcess.which("nvidia-smi", null) == null) return 0;
        try {
            ChildProcess.Result r = ChildProcess.run(List.of("nvidia-smi", "--query-gpu=memory.free",
                    "--format=csv,noheader,nounits"), null, Duration.ofSeconds(15));
            if (!r.ok()) return 0;
            long sum = 0;
            for (String l : r.output().split("\\R")) {
                if (l.strip().matches("\\d+")) sum += Long.parseLong(l.strip()) << 20;
            }
            return sum;
        } catch (IOException | UserError e) {
            return 0;
        }
    }

    /** RAM available: MemAvailable, or less when a container's memory limit (cgroup v2 or v1) leaves less. */
    static long memAvailable() {
        long avail = -1;
        try {
            avail = HostStats.ram(Path.of("/proc")).availableKiB() * 1024;
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        long limit = cgroupLeft("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current");
        if (limit < 0) limit = cgroupLeft("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes");
        if (limit >= 0 && (avail < 0 || limit < avail)) avail = limit;
        return avail >= 0 ? avail : Runtime.getRuntime().maxMemory();
    }

    private static long cgroupLeft(String maxFile, String usedFile) {
        try {
            String max = Files.readString(Path.of(maxFile)).strip();
            if (max.equals("max") || max.length() > 18) return -1;
            long used = Long.parseLong(Files.readString(Path.of(usedFile)).strip());
            return Math.max(0, Long.parseLong(max) - used);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
