package dev.llamagic.engine.gpu;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The NVIDIA GPUs of this machine through {@code nvidia-smi}'s documented query interface
 * ({@code --query-gpu=... --format=csv,noheader,nounits}: one line per GPU, values separated by {@code ", "},
 * memory in MiB, power in W; a value the driver cannot give reads {@code [N/A]} or {@code [Not Supported]}).
 * The parsers are pure functions of that text; {@link #probe(Map)} runs the program.
 */
public final class NvidiaSmi {
    private NvidiaSmi() {}

    public static final String GPU_FIELDS = "index,name,memory.used,memory.total,utilization.gpu,temperature.gpu,power.draw";
    public static final String APP_FIELDS = "pid,process_name,used_memory";
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** What one probe saw: the GPUs and the processes using them, or why there are none. */
    public record Snapshot(List<Gpu> gpus, List<GpuProcess> processes, String absent) {
        public boolean available() {
            return absent == null && !gpus.isEmpty();
        }
    }

    /** The command lines {@link #probe} runs, for documentation and error messages. */
    public static List<String> gpuQuery(String program) {
        return List.of(program, "--query-gpu=" + GPU_FIELDS, "--format=csv,noheader,nounits");
    }

    public static List<String> appQuery(String program) {
        return List.of(program, "--query-compute-apps=" + APP_FIELDS, "--format=csv,noheader,nounits");
    }

    /**
     * Runs nvidia-smi found on {@code env}'s PATH. Never throws for a missing GPU: the snapshot says why
     * ({@code nvidia-smi not found on PATH}, or the tool's own first line such as "No devices were found").
     */
    public static Snapshot probe(Map<String, String> env) {
        Path program = ChildProcess.which("nvidia-smi", env);
        if (program == null) return new Snapshot(List.of(), List.of(), "nvidia-smi not found on PATH");
        try {
            ChildProcess.Result gpus = ChildProcess.run(gpuQuery(program.toString()), null, TIMEOUT);
            if (!gpus.ok()) return new Snapshot(List.of(), List.of(), "nvidia-smi failed: " + gpus.firstLine("(no output)"));
            List<Gpu> parsed = parseGpus(gpus.output());
            if (parsed.isEmpty()) return new Snapshot(List.of(), List.of(), "nvidia-smi lists no GPU");
            ChildProcess.Result apps = ChildProcess.run(appQuery(program.toString()), null, TIMEOUT);
            List<GpuProcess> procs = apps.ok() ? parseApps(apps.output()) : List.of();
            return new Snapshot(parsed, procs, null);
        } catch (IOException | UserError e) {
            return new Snapshot(List.of(), List.of(), "nvidia-smi failed: " + e.getMessage());
        }
    }

    /** Only the GPU query (what a sampler needs); empty when nvidia-smi is missing or fails. */
    public static List<Gpu> queryGpus(Map<String, String> env) {
        return query(env, NvidiaSmi::gpuQuery, NvidiaSmi::parseGpus);
    }

    /** Only the compute-apps query; empty when nvidia-smi is missing, fails or prints something else. */
    public static List<GpuProcess> queryApps(Map<String, String> env) {
        return query(env, NvidiaSmi::appQuery, NvidiaSmi::parseApps);
    }

    /** One query of nvidia-smi found on {@code env}'s PATH, parsed; empty when it is missing, fails or prints something else. */
    private static <T> List<T> query(Map<String, String> env, Function<String, List<String>> command,
                                     Function<String, List<T>> parse) {
        Path program = ChildProcess.which("nvidia-smi", env);
        if (program == null) return List.of();
        try {
            ChildProcess.Result r = ChildProcess.run(command.apply(program.toString()), null, TIMEOUT);
            return r.ok() ? parse.apply(r.output()) : List.of();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** Parses {@code --query-gpu=index,name,memory.used,memory.total,utilization.gpu,temperature.gpu,power.draw} output. */
    public static List<Gpu> parseGpus(String csv) {
        List<Gpu> out = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) continue;
            String[] f = line.split(",");
            if (f.length < 7) throw new IllegalArgumentException("not an nvidia-smi --query-gpu line: " + line);
            // a name never holds a comma in practice; join the middle anyway so one would not shift the figures
            int extra = f.length - 7;
            StringBuilder name = new StringBuilder(f[1].trim());
            for (int i = 0; i < extra; i++) name.append(',').append(f[2 + i]);
            Long index = integer(f[0]);
            if (index == null) throw new IllegalArgumentException("not an nvidia-smi --query-gpu line: " + line);
            out.add(new Gpu(index.intValue(), name.toString().trim(), integer(f[2 + extra]), integer(f[3 + extra]),
                    toInt(integer(f[4 + extra])), toInt(integer(f[5 + extra])), decimal(f[6 + extra])));
        }
        return out;
    }

    /** Parses {@code --query-compute-apps=pid,process_name,used_memory} output (empty when no process uses a GPU). */
    public static List<GpuProcess> parseApps(String csv) {
        List<GpuProcess> out = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) continue;
            if (line.startsWith("No running")) continue; // older drivers print a sentence instead of nothing
            int first = line.indexOf(',');
            int last = line.lastIndexOf(',');
            if (first < 0 || last == first) throw new IllegalArgumentException("not an nvidia-smi --query-compute-apps line: " + line);
            Long pid = integer(line.substring(0, first));
            if (pid == null) throw new IllegalArgumentException("not an nvidia-smi --query-compute-apps line: " + line);
            out.add(new GpuProcess(pid, line.substring(first + 1, last).trim(), integer(line.substring(last + 1))));
        }
        return out;
    }

    /** A value nvidia-smi could not give: {@code [N/A]}, {@code [Not Supported]}, {@code [Unknown Error]}, {@code N/A}. */
    static boolean missing(String v) {
        String s = v.trim();
        return s.isEmpty() || s.startsWith("[") || s.equalsIgnoreCase("N/A");
    }

    static Long integer(String v) {
        if (missing(v)) return null;
        String s = v.trim();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            try {
                return Math.round(Double.parseDouble(s));
            } catch (NumberFormatException e2) {
                return null;
            }
        }
    }

    static Double decimal(String v) {
        if (missing(v)) return null;
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Integer toInt(Long v) {
        return v == null ? null : v.intValue();
    }
}
