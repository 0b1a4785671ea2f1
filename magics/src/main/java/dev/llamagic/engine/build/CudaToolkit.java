package dev.llamagic.engine.build;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What this machine offers a CUDA build: the CUDA toolkit's {@code nvcc} (from {@code CUDA_HOME}/{@code CUDA_PATH},
 * {@code nvcc} on PATH, {@code /usr/local/cuda}, or the newest {@code /usr/local/cuda-*} the driver supports), the
 * driver's CUDA version and the GPUs with their compute capabilities ({@code nvidia-smi}).
 */
public final class CudaToolkit {

    /** Runs a short probe command (absolute program path first) and returns its exit and output. */
    @FunctionalInterface
    public interface Runner {
        ChildProcess.Result run(List<String> command) throws IOException;
    }

    /** One GPU as nvidia-smi lists it; {@code computeCap} like "8.6", empty when unknown. */
    public record Gpu(String name, String computeCap) {
        /** The CMake architecture number: "8.6" → "86", "12.0" → "120"; empty when unknown. */
        public String arch() {
            return computeCap.isEmpty() ? "" : computeCap.replace(".", "");
        }
    }

    /** The nvcc found, its release ("12.4") and where it was found ("CUDA_HOME", "PATH", ...). */
    public record Nvcc(Path path, String version, String foundVia) {
        /** The toolkit's root: the directory above {@code bin/nvcc}. */
        public Path home() {
            Path bin = path.toAbsolutePath().getParent();
            return bin == null || bin.getParent() == null ? bin : bin.getParent();
        }
    }

    /**
     * The result of looking: {@code nvcc} (null if none), the GPUs (empty if none), the CUDA version the driver
     * supports (null if unknown), why no GPU was seen (null if some were), where nvcc was looked for, notes.
     */
    public record Probe(Nvcc nvcc, List<Gpu> gpus, String driverCuda, String gpuProblem, List<String> searched,
                        List<String> notes, List<HostCompiler> hostCompilers) {
        public Probe {
            hostCompilers = List.copyOf(hostCompilers == null ? List.of() : hostCompilers);
        }

        public Probe(Nvcc nvcc, List<Gpu> gpus, String driverCuda, String gpuProblem, List<String> searched, List<String> notes) {
            this(nvcc, gpus, driverCuda, gpuProblem, searched, notes, List.of());
        }

        public boolean hasGpu() {
            return !gpus.isEmpty();
        }

        /** Distinct CMake architectures of the GPUs, ascending ("75", "86"); unknown ones left out. */
        public List<String> archs() {
            TreeSet<String> s = new TreeSet<>(Comparator.comparingInt(Integer::parseInt));
            for (Gpu g : gpus) if (!g.arch().isEmpty()) s.add(g.arch());
            return List.copyOf(s);
        }
    }

    /** A g++ nvcc can use as its host compiler: its path and major version (g++-11 → 11). */
    public record HostCompiler(Path path, int major) {}

    private static final Pattern NVCC_RELEASE = Pattern.compile("release (\\d+\\.\\d+)");
    private static final Pattern DRIVER_CUDA = Pattern.compile("CUDA Version:\\s*(\\d+\\.\\d+)");
    private static final Pattern CUDA_DIR = Pattern.compile("cuda-(\\d+(?:\\.\\d+)*)");

    /** Compute capabilities by GPU name, for drivers too old to answer {@code --query-gpu=compute_cap}. */
    private static final Map<String, String> KNOWN = Map.ofEntries(
            Map.entry("H200", "9.0"), Map.entry("H100", "9.0"), Map.entry("H800", "9.0"), Map.entry("H20", "9.0"),
            Map.entry("L40", "8.9"), Map.entry("L20", "8.9"), Map.entry("L4", "8.9"), Map.entry("4090", "8.9"),
            Map.entry("A100", "8.0"), Map.entry("A800", "8.0"), Map.entry("A30", "8.0"),
            Map.entry("A10", "8.6"), Map.entry("A40", "8.6"), Map.entry("3090", "8.6"),
            Map.entry("T4", "7.5"), Map.entry("V100", "7.0"), Map.entry("P100", "6.0"), Map.entry("P4", "6.1"));

    private final Map<String, String> env;
    private final Path localRoot;
    private final Runner runner;

    /**
     * @param env       the environment to look in (CUDA_HOME, CUDA_PATH, PATH)
     * @param localRoot where {@code cuda} and {@code cuda-*} are looked for ({@code /usr/local} on a real machine)
     * @param runner    how probes are run
     */
    public CudaToolkit(Map<String, String> env, Path localRoot, Runner runner) {
        this.env = env;
        this.localRoot = localRoot;
        this.runner = runner;
    }

    /** The real machine: {@code /usr/local}, probes bounded by 30 s each. */
    public static CudaToolkit system(Map<String, String> env) {
        return new CudaToolkit(env, Path.of("/usr/local"), cmd -> ChildProcess.run(cmd, null, Duration.ofSeconds(30)));
    }

    /** Looks for the GPUs first (the driver's CUDA version steers the choice among /usr/local/cuda-*), then nvcc. */
    public Probe probe() {
        List<String> notes = new ArrayList<>();
        List<Gpu> gpus = new ArrayList<>();
        String driverCuda = null;
        String gpuProblem = null;
        Path smi = ChildProcess.which("nvidia-smi", env);
        if (smi == null) {
            gpuProblem = "nvidia-smi is not on PATH";
        } else {
            ChildProcess.Result q = run(List.of(smi.toString(), "--query-gpu=name,compute_cap", "--format=csv,noheader"));
            if (q.ok()) {
                gpus.addAll(parseGpus(q.output()));
            } else {
                // drivers before 510 do not know compute_cap: ask for the names and look them up
                ChildProcess.Result names = run(List.of(smi.toString(), "--query-gpu=name", "--format=csv,noheader"));
                if (names.ok()) {
                    for (String line : lines(names.output())) gpus.add(new Gpu(line, knownCapability(line)));
                } else {
                    gpuProblem = "nvidia-smi failed: " + q.firstLine("(no output)");
                }
            }
            if (gpuProblem == null && gpus.isEmpty()) gpuProblem = "nvidia-smi lists no GPU";
            if (!gpus.isEmpty()) {
                ChildProcess.Result plain = run(List.of(smi.toString()));
                Matcher m = DRIVER_CUDA.matcher(plain.output());
                if (m.find()) driverCuda = m.group(1);
            }
        }
        List<String> searched = new ArrayList<>();
        Nvcc nvcc = findNvcc(driverCuda, searched, notes);
        List<HostCompiler> hosts = nvcc == null ? List.of() : hostCompilers();
        return new Probe(nvcc, List.copyOf(gpus), driverCuda, gpuProblem, List.copyOf(searched), List.copyOf(notes), hosts);
    }

    private Nvcc findNvcc(String driverCuda, List<String> searched, List<String> notes) {
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.get(var);
            if (v == null || v.isBlank()) continue;
            Path p = Path.of(v, "bin", "nvcc");
            searched.add("$" + var + "/bin/nvcc");
            Nvcc n = nvccAt(p, "$" + var);
            if (n != null) return n;
            notes.add("$" + var + "=" + v + " has no bin/nvcc");
        }
        searched.add("nvcc on PATH");
        Path onPath = ChildProcess.which("nvcc", env);
        if (onPath != null) {
            Nvcc n = nvccAt(onPath, "PATH");
            if (n != null) return n;
        }
        Nvcc wheel = CudaWheels.find(env, searched, notes, this::nvccAt);
        if (wheel != null) return wheel;
        searched.add(localRoot.resolve("cuda") + "/bin/nvcc");
        Nvcc usual = nvccAt(localRoot.resolve("cuda").resolve("bin").resolve("nvcc"), localRoot.resolve("cuda").toString());
        if (usual != null) return usual;
        searched.add(localRoot.resolve("cuda-*") + "/bin/nvcc");
        List<Path> versioned = versionedDirs();
        Nvcc newestAny = null;
        for (Path d : versioned) {
            Nvcc n = nvccAt(d.resolve("bin").resolve("nvcc"), d.toString());
            if (n == null) continue;
            if (newestAny == null) newestAny = n;
            if (driverCuda == null || compareVersions(n.version(), driverCuda) <= 0) return n;
        }
        if (newestAny != null) {
            notes.add(newestAny.path().getParent().getParent() + " holds CUDA " + newestAny.version()
                    + " but the driver supports CUDA " + driverCuda + " at most");
        }
        return null;
    }

    /** {@code cuda-*} directories under the local root, newest version first. */
    private List<Path> versionedDirs() {
        if (!Files.isDirectory(localRoot)) return List.of();
        try (Stream<Path> s = Files.list(localRoot)) {
            return s.filter(p -> CUDA_DIR.matcher(p.getFileName().toString()).matches())
                    .sorted((a, b) -> compareVersions(version(b), version(a))).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String version(Path cudaDir) {
        Matcher m = CUDA_DIR.matcher(cudaDir.getFileName().toString());
        return m.matches() ? m.group(1) : "0";
    }

    /** g++ and every g++-N on PATH, with their major versions (plain g++ asked with -dumpversion). */
    List<HostCompiler> hostCompilers() {
        List<HostCompiler> found = new ArrayList<>();
        java.util.Set<Path> seen = new java.util.HashSet<>();
        String path = env.getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isBlank()) continue;
            try (Stream<Path> s = Files.list(Path.of(dir))) {
                for (Path p : s.sorted().toList()) {
                    String name = p.getFileName().toString();
                    Matcher m = GXX.matcher(name);
                    if (!m.matches() || !Files.isExecutable(p) || Files.isDirectory(p)) continue;
                    Path real;
                    try {
                        real = p.toRealPath();
                    } catch (IOException e) {
                        continue;
                    }
                    int major;
                    if (m.group(1) != null) {
                        major = Integer.parseInt(m.group(1));
                    } else {
                        ChildProcess.Result r = run(List.of(p.toString(), "-dumpversion"));
                        String v = r.output().trim();
                        if (!r.ok() || !v.matches("\\d+(\\..*)?")) continue;
                        major = Integer.parseInt(v.replaceAll("\\..*$", ""));
                    }
                    // one entry per compiler: g++ and g++-12 are often the same file
                    if (seen.add(real) || m.group(1) == null) found.add(new HostCompiler(p, major));
                }
            } catch (IOException | java.nio.file.InvalidPathException e) {
                // a PATH entry that is not a directory
            }
        }
        return List.copyOf(found);
    }

    private static final Pattern GXX = Pattern.compile("g\\+\\+(?:-(\\d+))?");

    /** The newest g++ major a CUDA release accepts as host compiler (nvcc refuses newer ones). */
    static int newestHostGcc(String cuda) {
        if (compareVersions(cuda, "13.0") >= 0) return 15;
        if (compareVersions(cuda, "12.8") >= 0) return 14;
        if (compareVersions(cuda, "12.4") >= 0) return 13;
        if (compareVersions(cuda, "12.0") >= 0) return 12;
        if (compareVersions(cuda, "11.4") >= 0) return 11;
        if (compareVersions(cuda, "11.1") >= 0) return 10;
        return 9;
    }

    /**
     * The host compiler for {@code nvcc}: the newest g++ it accepts, plain g++ first among equals; throws a one-line
     * {@link UserError} naming what is there and what to install when none fits.
     */
    public static HostCompiler chooseHost(Nvcc nvcc, List<HostCompiler> found) {
        int newest = newestHostGcc(nvcc.version());
        HostCompiler best = null;
        for (HostCompiler h : found) {
            if (h.major() > newest) continue;
            if (best == null || h.major() > best.major()) best = h;
        }
        if (best != null) return best;
        if (found.isEmpty()) {
            throw new UserError("CUDA " + nvcc.version() + " needs a C++ host compiler (g++ " + newest
                    + " or older), but there is no g++ on PATH: apt-get install -y g++-" + newest);
        }
        String there = String.join(", ", found.stream().map(h -> "g++ " + h.major() + " (" + h.path() + ")").distinct().toList());
        throw new UserError("CUDA " + nvcc.version() + " (" + nvcc.path() + ") accepts g++ " + newest
                + " or older as its host compiler, but only " + there + " is here: apt-get install -y g++-" + newest);
    }

    Nvcc nvccAt(Path p, String via) {
        if (!Files.isExecutable(p) || Files.isDirectory(p)) return null;
        ChildProcess.Result r = run(List.of(p.toString(), "--version"));
        Matcher m = NVCC_RELEASE.matcher(r.output());
        if (!r.ok() || !m.find()) return null;
        return new Nvcc(p, m.group(1), via);
    }

    /**
     * A probe that cannot run or does not answer in time (ChildProcess.run throws {@link UserError} then) is a
     * failed probe, as in {@code NvidiaSmi.probe}: the build falls back to what it can do. An interrupt still stops it.
     */
    private ChildProcess.Result run(List<String> cmd) {
        try {
            return runner.run(cmd);
        } catch (Interrupted e) {
            throw e;
        } catch (IOException | UserError e) {
            return new ChildProcess.Result(-1, String.valueOf(e.getMessage()));
        }
    }

    /** Parses {@code name, compute_cap} CSV lines as nvidia-smi prints them. */
    static List<Gpu> parseGpus(String csv) {
        List<Gpu> gpus = new ArrayList<>();
        for (String line : lines(csv)) {
            int comma = line.lastIndexOf(',');
            String name = comma < 0 ? line : line.substring(0, comma).trim();
            String cap = comma < 0 ? "" : line.substring(comma + 1).trim();
            if (!cap.matches("\\d+\\.\\d+")) cap = knownCapability(name);
            gpus.add(new Gpu(name, cap));
        }
        return gpus;
    }

    /** The compute capability of a GPU known by name ("Tesla T4" → "7.5"), or "". */
    static String knownCapability(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return KNOWN.entrySet().stream()
                .filter(e -> Pattern.compile("(^|[^A-Z0-9])" + e.getKey() + "($|[^0-9])").matcher(upper).find())
                .max(Comparator.comparingInt(e -> e.getKey().length()))
                .map(Map.Entry::getValue).orElse("");
    }

    private static List<String> lines(String s) {
        return s.lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
    }

    /** Compares dotted versions numerically ("12.10" > "12.9"). */
    static int compareVersions(String a, String b) {
        String[] x = a.split("\\."), y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int p = i < x.length ? parse(x[i]) : 0, q = i < y.length ? parse(y[i]) : 0;
            if (p != q) return Integer.compare(p, q);
        }
        return 0;
    }

    private static int parse(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The oldest CUDA release that compiles for an architecture ("90" → "11.8"), if it is known. */
    static Optional<String> minimumCudaFor(String arch) {
        int a = parse(arch.replaceAll("[^0-9].*$", ""));
        if (a >= 100) return Optional.of("12.8");
        if (a >= 89) return Optional.of("11.8");
        if (a >= 86) return Optional.of("11.1");
        if (a >= 80) return Optional.of("11.0");
        return Optional.empty();
    }
}
