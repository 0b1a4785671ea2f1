package dev.llamagic.engine.build;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.Progress;
import dev.llamagic.util.Similar;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Builds llama.cpp: source → plan → CMake configure → {@code cmake --build} (progress from ninja's {@code [n/m]}
 * or make's {@code [ nn%]} lines, full log in the build directory) → verification of the built binaries
 * ({@code --version}, {@code --list-devices}) → the marker {@link LlamaInstall#MARKER}, written last, so a build
 * that was interrupted or failed is never found by {@link Llama#latest}.
 */
public final class LlamaBuilder {

    /** The outcome: the install, whether it came from the cache, and how long the whole call took. */
    public record Result(LlamaInstall install, boolean cached, double seconds, BuildPlan plan) {
        /**
         * One line saying what happened: "built and verified llama.cpp de3ff815ea (CPU) in 10 min 07 s → …/bin", or
         * "llama.cpp de3ff815ea (CPU) is already built and verified (cached build …); answered from the cache in 0.80 s".
         */
        public String summary() {
            if (cached) {
                return String.format(Locale.ROOT, "llama.cpp %s (%s) is already built and verified (cached build %s);"
                        + " answered from the cache in %.2f s", shortCommit(install.commit()), label(plan), install.key(), seconds);
            }
            if (install.devicePending()) {
                return "cross-built llama.cpp " + shortCommit(plan.commit()) + " (" + label(plan) + ") in "
                        + Units.duration(seconds) + " → " + install.binDir() + "; verified without a GPU ("
                        + install.cudaCode() + "), device check pending";
            }
            return "built and verified llama.cpp " + shortCommit(plan.commit()) + " (" + label(plan) + ") in "
                    + Units.duration(seconds) + " → " + install.binDir();
        }

        /** The verification table's title: "llama.cpp build &lt;key&gt;", "(cached)" appended for a cache hit. */
        public String title() {
            return "llama.cpp build " + install.key() + (cached ? " (cached)" : "");
        }

        /** The verification table's rows (what, value): commit, backends, devices, CUDA archs, build time, binaries. */
        public List<Map.Entry<String, String>> details() {
            LlamaInstall i = install;
            List<Map.Entry<String, String>> rows = new ArrayList<>();
            rows.add(Map.entry("commit", i.commit()));
            rows.add(Map.entry("source", i.source()));
            rows.add(Map.entry("version", i.version()));
            rows.add(Map.entry("backends", String.join(", ", backendsBuilt(i.binDir()))));
            rows.add(Map.entry("devices seen", !i.devices().isEmpty() ? String.join("; ", i.devices())
                    : i.cuda() ? "none (no GPU here)" : "none (CPU only)"));
            rows.add(Map.entry("CUDA archs", i.cudaArchs().isEmpty() ? "-" : i.cudaArchs()));
            if (i.cuda()) {
                if (plan.nvcc() != null) {
                    rows.add(Map.entry("CUDA toolkit", plan.nvcc().version() + " (" + plan.nvcc().path() + ")"
                            + (plan.hostCompiler() == null ? "" : ", host compiler " + plan.hostCompiler().path())));
                }
                rows.add(Map.entry("CUDA code", i.cudaCode().isEmpty() ? "-" : i.cudaCode()));
                rows.add(Map.entry("device check", i.devicePending()
                        ? "pending: cross-built, device check pending (the first build or server start on a GPU completes it)"
                        : "done"));
            }
            rows.add(Map.entry("build time", i.buildSeconds() > 0 ? Units.duration(i.buildSeconds()) : "-"));
            rows.add(Map.entry("built at", i.builtAt().toString()));
            for (String target : i.targets()) rows.add(Map.entry(target, i.binDir().resolve(target).toString()));
            return List.copyOf(rows);
        }
    }

    /** The build log inside the build directory. */
    public static final String LOG = "llamagic-build.log";
    static final int TAIL_LINES = 20;

    private static final Pattern NINJA = Pattern.compile("^\\[(\\d+)/(\\d+)\\]\\s*(.*)$");
    private static final Pattern MAKE = Pattern.compile("^\\[\\s*(\\d+)%\\]\\s*(.*)$");
    private static final Pattern UNKNOWN_TARGET = Pattern.compile(
            "(?:ninja: error: unknown target|No rule to make target) '([^']+)'");

    private final Context ctx;
    private final Notebook out;
    private final Map<String, String> names;

    /** A builder whose notes are in the engine's words. */
    public LlamaBuilder(Context ctx) {
        this(ctx, Map.of());
    }

    /** {@code names}: how the caller names options in the notes it shows (see {@link Wording}). */
    public LlamaBuilder(Context ctx, Map<String, String> names) {
        this.ctx = ctx;
        this.out = ctx.notebook();
        this.names = Map.copyOf(names);
    }

    /**
     * Builds (or finds in the cache) what {@code opts} asks for, with a progress bar and the plan's notes in the
     * context's notebook; what happened (summary, verification details) is in the result, for the caller to show.
     */
    public Result build(BuildOptions opts) throws IOException {
        long t0 = System.nanoTime();
        LlamaSource source = LlamaSource.parse(opts.source(), opts.ref());
        BuildPlan.Machine machine = machine(opts);
        Path builds = Llama.buildsDir(ctx);

        // What cannot work here (--cuda without toolkit or GPU) fails now, before anything is fetched.
        BuildPlan.of(opts, Path.of("."), "unknown", builds, machine);
        // The cache check first, without cloning or fetching when the commit is known already.
        Optional<LlamaSource.Checkout> known = source.existing(ctx);
        if (known.isPresent() && !opts.rebuild()) {
            BuildPlan plan = BuildPlan.of(opts, known.get().dir(), known.get().commit(), builds, machine);
            Optional<LlamaInstall> hit = cached(plan);
            if (hit.isPresent()) return hit(plan, hit.get(), t0);
        }
        ctx.checkInterrupted();
        LlamaSource.Checkout checkout = source.checkout(ctx);
        BuildPlan plan = BuildPlan.of(opts, checkout.dir(), checkout.commit(), builds, machine);
        if (!opts.rebuild()) {
            Optional<LlamaInstall> hit = cached(plan);
            if (hit.isPresent()) return hit(plan, hit.get(), t0);
        }
        plan.notes(names).forEach(out::warn);
        Files.createDirectories(builds);
        Path lockFile = builds.resolve(plan.key() + ".lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lock(ch, plan)) {
            if (!opts.rebuild()) {
                // another kernel may have finished this very build while we waited for the lock
                Optional<LlamaInstall> hit = cached(plan);
                if (hit.isPresent()) return hit(plan, hit.get(), t0);
            }
            LlamaInstall install = buildLocked(plan, source, opts.rebuild());
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Result(install, false, seconds, plan);
        }
    }

    /** Plans without building: what {@code --dry-run} shows. Fetches the source only if its commit is unknown. */
    public BuildPlan plan(BuildOptions opts) throws IOException {
        LlamaSource source = LlamaSource.parse(opts.source(), opts.ref());
        BuildPlan.Machine machine = machine(opts);
        LlamaSource.Checkout c = source.existing(ctx).orElse(null);
        if (c == null) c = source.checkout(ctx);
        return BuildPlan.of(opts, c.dir(), c.commit(), Llama.buildsDir(ctx), machine);
    }

    private BuildPlan.Machine machine(BuildOptions opts) {
        Path cmake = ChildProcess.which("cmake", ctx.env());
        if (cmake == null) {
            throw new UserError("cmake is not installed: apt-get install -y cmake ninja-build (or pip install cmake ninja)");
        }
        boolean ninja = ChildProcess.which("ninja", ctx.env()) != null;
        CudaToolkit.Probe cuda = opts.backend() == BuildOptions.Backend.CPU
                ? new CudaToolkit.Probe(null, List.of(), null, "not looked for (a CPU build)", List.of(), List.of())
                : CudaToolkit.system(ctx.env()).probe();
        Path ccache = ChildProcess.which("ccache", ctx.env());
        return new BuildPlan.Machine(cmake.toString(), ninja, Runtime.getRuntime().availableProcessors(), cuda,
                ccache == null ? null : ccache.toString(), ctx.home().resolve("ccache"), ctx.home().resolve("cuda-toolkits"));
    }

    /** The build directory's lock; while another process (another kernel, a terminal) builds the same key, waits for it. */
    private FileLock lock(FileChannel ch, BuildPlan plan) throws IOException {
        boolean said = false;
        while (true) {
            try {
                FileLock l = ch.tryLock();
                if (l != null) return l;
            } catch (OverlappingFileLockException e) {
                // held by another cell of this JVM: the same as another process
            }
            if (!said) {
                out.print("another build of " + plan.key() + " is running (another kernel or terminal): waiting for it");
                said = true;
            }
            ctx.checkInterrupted();
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ctx.checkInterrupted();
            }
        }
    }

    /** A verified build with this key that has every target asked for, its binaries still in place. */
    public static Optional<LlamaInstall> cached(BuildPlan plan) {
        Path marker = plan.buildDir().resolve(LlamaInstall.MARKER);
        if (!Files.isRegularFile(marker)) return Optional.empty();
        try {
            LlamaInstall i = LlamaInstall.read(marker);
            for (String t : plan.targets()) {
                if (!i.targets().isEmpty() && !i.targets().contains(t)) return Optional.empty();
                if (i.targets().isEmpty() && BuildPlan.DEFAULT_TARGETS.contains(t) == false) return Optional.empty();
            }
            for (String t : BuildPlan.DEFAULT_TARGETS) {
                if (!Files.isExecutable(i.binDir().resolve(t))) return Optional.empty();
            }
            return Optional.of(i);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private Result hit(BuildPlan plan, LlamaInstall install, long t0) {
        plan.notes(names).forEach(out::warn);
        if (install.devicePending() && plan.machineHasGpu()) install = DeviceCheck.completeIfDue(ctx, install);
        return new Result(install, true, (System.nanoTime() - t0) / 1e9, plan);
    }

    private LlamaInstall buildLocked(BuildPlan plan, LlamaSource source, boolean rebuild) throws IOException {
        Path dir = plan.buildDir();
        Path marker = dir.resolve(LlamaInstall.MARKER);
        Files.deleteIfExists(marker);
        if (rebuild || !sameConfiguration(dir, plan)) LlamaSource.deleteTree(dir);
        Files.createDirectories(dir);
        Path log = dir.resolve(LOG);
        long t0 = System.nanoTime();
        Map<String, String> env = new HashMap<>(plan.env());
        env.put("NINJA_STATUS", "[%f/%t] ");
        if (plan.toolkitRoot() != null) CudaWheels.assemble(plan.nvcc(), plan.toolkitRoot());
        String title = "building llama.cpp " + shortCommit(plan.commit()) + " (" + label(plan) + ")";
        // compile time summed over the runs that made this directory (an interrupted build resumes)
        Path timeFile = dir.resolve("llamagic-build-seconds");
        double earlier = readSeconds(timeFile);
        try (Progress bar = out.progress(title, 0, Progress.Unit.STEPS);
             AutoCloseableSeconds spent = () -> writeSeconds(timeFile, earlier + (System.nanoTime() - t0) / 1e9)) {
            bar.detail("configuring (cmake)");
            appendLog(log, "==== " + LocalDateTime.now() + " llamagic: " + String.join(" ", plan.configure()));
            List<String> unused = new ArrayList<>();
            boolean[] inUnused = {false};
            Step step = runStep(plan.configure(), plan.sourceDir(), env, log, line -> {
                if (line.contains("Manually-specified variables were not used by the project")) {
                    inUnused[0] = true;
                } else if (inUnused[0]) {
                    String t = line.trim();
                    if (t.matches("[A-Za-z_][A-Za-z0-9_]*")) unused.add(t);
                    else if (!t.isEmpty()) inUnused[0] = false;
                }
            }, "configure");
            if (step.exit() != 0) {
                bar.fail("cmake configure failed");
                throw failure("CMake configure failed (exit " + step.exit() + ")", log, step.tail());
            }
            checkUnusedDefines(plan, unused, dir);
            BuildWork work = BuildWork.of(dir, plan.cudaArchs().size()); // no architectures (CPU): the steps
            bar.detail("compiling");
            appendLog(log, "==== " + LocalDateTime.now() + " llamagic: " + String.join(" ", plan.build()));
            String[] unknownTarget = {null};
            step = runStep(plan.build(), plan.sourceDir(), env, log, line -> {
                Matcher n = NINJA.matcher(line);
                if (n.matches()) {
                    long finished = Long.parseLong(n.group(1));
                    long total = Long.parseLong(n.group(2));
                    work.step(n.group(3));
                    bar.total(total);
                    bar.set(finished);
                    bar.work(work.done(finished), work.total(total));
                    bar.detail(shortStep(n.group(3)));
                    return;
                }
                Matcher m = MAKE.matcher(line);
                if (m.matches()) {
                    bar.total(100);
                    bar.set(Long.parseLong(m.group(1)));
                    bar.detail(shortStep(m.group(2)));
                    return;
                }
                Matcher u = UNKNOWN_TARGET.matcher(line);
                if (u.find()) unknownTarget[0] = u.group(1);
            }, "build");
            if (step.exit() != 0) {
                bar.fail("build failed");
                if (unknownTarget[0] != null) {
                    throw new UserError("llama.cpp " + shortCommit(plan.commit()) + " has no target '" + unknownTarget[0]
                            + "' (tests and examples are not configured; the usual ones are "
                            + String.join(", ", BuildPlan.DEFAULT_TARGETS) + ")");
                }
                throw failure("the build failed (exit " + step.exit() + ")", log, step.tail());
            }
            double thisRun = (System.nanoTime() - t0) / 1e9;
            double buildSeconds = earlier + thisRun;
            bar.finish("compiled in " + Units.duration(thisRun) + (earlier > 0 ? " (" + Units.duration(buildSeconds)
                    + " with the earlier runs)" : "") + "; verifying");
            LlamaInstall install = verify(plan, source, buildSeconds, log);
            install.write(marker);
            return install;
        }
    }

    private interface AutoCloseableSeconds extends AutoCloseable {
        @Override
        void close();
    }

    private static double readSeconds(Path f) {
        try {
            return Double.parseDouble(Files.readString(f).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static void writeSeconds(Path f, double seconds) {
        try {
            Files.writeString(f, String.format(Locale.ROOT, "%.1f%n", seconds));
        } catch (IOException ignored) {
            // only the reported build time suffers
        }
    }

    /** How a step (configure, build) ended: its exit and the last {@link #TAIL_LINES} lines it printed. */
    private record Step(int exit, List<String> tail) {}

    private Step runStep(List<String> cmd, Path dir, Map<String, String> env, Path log,
                         java.util.function.Consumer<String> onLine, String what) throws IOException {
        try (ChildProcess p = ChildProcess.start(cmd, dir, env, log, onLine)) {
            appendLog(log, "==== llamagic: " + what + " runs as pid " + p.pid() + " (process group " + p.pid() + ")");
            int exit = p.waitFor(ctx, null);
            return new Step(exit, p.tail(TAIL_LINES));
        }
    }

    /** An existing build directory can be resumed only if it was configured from the same source with the same generator. */
    private static boolean sameConfiguration(Path dir, BuildPlan plan) {
        Path cache = dir.resolve("CMakeCache.txt");
        if (!Files.isRegularFile(cache)) return true;
        try {
            String home = null, generator = null;
            for (String l : Files.readAllLines(cache, StandardCharsets.UTF_8)) {
                if (l.startsWith("CMAKE_HOME_DIRECTORY:")) home = l.substring(l.indexOf('=') + 1);
                if (l.startsWith("CMAKE_GENERATOR:")) generator = l.substring(l.indexOf('=') + 1);
            }
            return home != null && Path.of(home).toRealPath().equals(plan.sourceDir().toRealPath())
                    && plan.generator().equals(generator);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A {@code -D} CMake did not use is a typo (the tutorial's {@code -DGGMML_CUDA=ON} builds CPU-only without a
     * word): fail and name the closest option CMake knows.
     */
    private void checkUnusedDefines(BuildPlan plan, List<String> unused, Path dir) {
        List<String> user = new ArrayList<>();
        for (String u : unused) {
            if (plan.configure().stream().anyMatch(a -> a.startsWith("-D" + u + "=")) && isUserDefine(u)) user.add(u);
        }
        if (user.isEmpty()) return;
        String name = user.get(0);
        String guess = closestCacheVariable(name, dir.resolve("CMakeCache.txt"));
        throw new Wording.Error("CMake ignored -D" + name + ": llama.cpp has no such option"
                + (guess == null ? "" : " (did you mean " + guess + "?)")
                + (name.contains("CUDA") ? "{forCuda|; for a CUDA build choose the CUDA backend}" : ""));
    }

    private static boolean isUserDefine(String name) {
        return !List.of("CMAKE_BUILD_TYPE", "GGML_NATIVE", "LLAMA_BUILD_TESTS", "LLAMA_BUILD_EXAMPLES",
                "LLAMA_USE_PREBUILT_UI", "GGML_CUDA", "CMAKE_CUDA_COMPILER", "CUDAToolkit_ROOT",
                "CMAKE_CUDA_ARCHITECTURES", "CMAKE_CUDA_HOST_COMPILER", "CMAKE_C_COMPILER_LAUNCHER",
                "CMAKE_CXX_COMPILER_LAUNCHER", "CMAKE_CUDA_COMPILER_LAUNCHER").contains(name);
    }

    static String closestCacheVariable(String name, Path cache) {
        if (!Files.isRegularFile(cache)) return null;
        try (Stream<String> lines = Files.lines(cache, StandardCharsets.UTF_8)) {
            String best = null;
            int bestD = 3;
            for (String l : lines.toList()) {
                int colon = l.indexOf(':');
                if (colon <= 0 || l.startsWith("//") || l.startsWith("#")) continue;
                String v = l.substring(0, colon);
                if (v.equals(name)) continue;
                int d = Similar.editDistance(v, name);
                if (d < bestD) {
                    bestD = d;
                    best = v;
                }
            }
            return best;
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }

    /** Runs the built binaries: {@code --version} of each, {@code --list-devices}; a CUDA build must see a CUDA device. */
    private LlamaInstall verify(BuildPlan plan, LlamaSource source, double buildSeconds, Path log) throws IOException {
        Path bin = plan.binDir();
        String version = "";
        for (String t : plan.targets()) {
            Path exe = bin.resolve(t);
            if (!Files.isExecutable(exe)) {
                if (BuildPlan.DEFAULT_TARGETS.contains(t)) {
                    throw new UserError("the build finished but " + exe + " is missing (log: " + log + ")");
                }
                continue;
            }
            ctx.checkInterrupted();
            ChildProcess.Result r = probe(List.of(exe.toString(), "--version"));
            appendLog(log, "==== llamagic verify: " + exe + " --version (exit " + r.exit() + ")\n" + r.output().strip());
            // llama-quantize knows no --version: it prints its usage and exits 1, which still proves it loads and runs
            boolean usage = r.exit() == 1 && r.output().lines().limit(5).anyMatch(l -> l.toLowerCase(Locale.ROOT).contains("usage:"));
            if (!r.ok() && !usage && r.output().contains("libcuda.so.1")) {
                throw new UserError("the built " + t + " does not start: it needs the NVIDIA driver's libcuda.so.1 even"
                        + " without a GPU (" + r.lastLine("") + "): install it (Debian: apt-get install libcuda1 from non-free;"
                        + " Ubuntu: libnvidia-compute-<version>) and build again (log: " + log + ")");
            }
            if (!r.ok() && !usage) {
                throw new UserError("the built " + t + " does not run: " + t + " --version exited with "
                        + r.exit() + ": " + r.lastLine("no output") + " (log: " + log + ")");
            }
            if (version.isEmpty()) version = r.output().lines().filter(l -> l.startsWith("version:")).findFirst().orElse("");
        }
        ctx.checkInterrupted();
        Path server = bin.resolve("llama-server");
        ChildProcess.Result devicesOut = probe(List.of(server.toString(), "--list-devices"));
        appendLog(log, "==== llamagic verify: " + server + " --list-devices (exit " + devicesOut.exit() + ")\n" + devicesOut.output().strip());
        List<String> devices = parseDevices(devicesOut.output());
        boolean sawCuda = devices.stream().anyMatch(d -> d.startsWith("CUDA"));
        if (plan.backend().equals("cuda") && !plan.crossBuild() && !sawCuda) {
            String why = devicesOut.output().lines().filter(l -> l.toLowerCase(Locale.ROOT).contains("cuda")
                    && !l.contains("Available devices")).findFirst().map(String::trim).orElse("");
            throw new UserError("the CUDA build does not see a CUDA device: llama-server --list-devices lists "
                    + (devices.isEmpty() ? "none" : String.join(", ", devices))
                    + (why.isEmpty() ? "" : " (" + why + ")")
                    + "; check nvidia-smi and that the driver supports CUDA " + plan.nvcc().version() + " (log: " + log + ")");
        }
        String cudaCode = plan.backend().equals("cuda") ? checkCudaCode(plan, bin, log) : "";
        List<String> built = new ArrayList<>();
        for (String t : plan.targets()) if (Files.isExecutable(bin.resolve(t))) built.add(t);
        return new LlamaInstall(bin, plan.commit(), plan.backend(), plan.cudaArchitectures(), devices, plan.key(),
                Instant.now(), built, buildSeconds, version, source.describe(), cudaCode,
                plan.backend().equals("cuda") && !sawCuda);
    }

    /**
     * Reads the GPU code the CUDA library holds (its {@code .nv_fatbin}) and checks it is exactly what was asked:
     * machine code for each architecture (but "NN-virtual"), nothing else. Returns "sm_86 + PTX compute_86 in libggml-cuda.so".
     */
    private String checkCudaCode(BuildPlan plan, Path bin, Path log) throws IOException {
        Path lib = cudaLibrary(bin);
        if (lib == null) {
            throw new UserError("the CUDA build finished but " + bin + " holds no libggml-cuda.so (log: " + log + ")");
        }
        FatBinary.Code code = FatBinary.read(lib);
        appendLog(log, "==== llamagic verify: GPU code in " + lib + ": " + code.describe());
        java.util.TreeSet<Integer> wanted = new java.util.TreeSet<>();
        for (String a : plan.cudaArchs()) if (CudaArchs.wantsCubin(a)) wanted.add(CudaArchs.number(a));
        if (!new java.util.TreeSet<>(code.cubins()).equals(wanted)) {
            throw new UserError("the CUDA build holds " + code.describe() + " in " + lib.getFileName() + ", not the asked "
                    + String.join(", ", wanted.stream().map(a -> "sm_" + a).toList()) + " (log: " + log + ")");
        }
        return code.describe() + " in " + lib.getFileName();
    }

    /** The file holding the CUDA code: libggml-cuda.so beside the binaries, or llama-server itself in a static build. */
    static Path cudaLibrary(Path bin) throws IOException {
        try (Stream<Path> s = Files.list(bin)) {
            Optional<Path> lib = s.filter(p -> p.getFileName().toString().matches("libggml-cuda\\.so(\\..*)?"))
                    .filter(p -> !Files.isSymbolicLink(p)).sorted().findFirst();
            if (lib.isPresent()) return lib.get();
        }
        try (Stream<Path> s = Files.list(bin)) {
            Optional<Path> any = s.filter(p -> p.getFileName().toString().startsWith("libggml-cuda")).sorted().findFirst();
            if (any.isPresent()) return any.get();
        }
        Path server = bin.resolve("llama-server");
        return Files.isRegularFile(server) && !FatBinary.read(server).isEmpty() ? server : null;
    }

    private static ChildProcess.Result probe(List<String> cmd) throws IOException {
        return ChildProcess.run(cmd, null, Duration.ofSeconds(60));
    }

    /** The device lines of {@code --list-devices}: the indented lines after "Available devices:". */
    static List<String> parseDevices(String output) {
        List<String> devices = new ArrayList<>();
        boolean in = false;
        for (String l : output.lines().toList()) {
            if (l.trim().startsWith("Available devices")) {
                in = true;
                continue;
            }
            if (in && !l.isBlank() && Character.isWhitespace(l.charAt(0))) {
                if (!l.trim().equals("(none)")) devices.add(l.trim());
            }
            else if (in && !l.isBlank()) in = false;
        }
        return devices;
    }

    /** The ggml backend libraries next to the binaries: ggml-cpu, ggml-cuda, ... */
    static List<String> backendsBuilt(Path bin) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        try (Stream<Path> s = Files.list(bin)) {
            s.map(p -> p.getFileName().toString()).sorted()
                    .map(n -> n.replaceFirst("^lib", "").replaceFirst("\\.(so|dylib|dll).*$", ""))
                    .filter(n -> n.startsWith("ggml-") && !n.equals("ggml-base"))
                    .forEach(names::add);
        } catch (IOException e) {
            return List.of();
        }
        return List.copyOf(names);
    }

    private UserError failure(String what, Path log, List<String> tail) {
        StringBuilder b = new StringBuilder(what + "; full log: " + log);
        if (!tail.isEmpty()) b.append("\nlast ").append(tail.size()).append(" lines of the log:");
        for (String l : tail) b.append("\n  ").append(l);
        return new UserError(b.toString());
    }

    private static void appendLog(Path log, String line) {
        try {
            Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // the log is a convenience
        }
    }

    private static String shortStep(String s) {
        Matcher m = Pattern.compile("(\\S+\\.(?:c|cpp|cu|o|so)|\\S*llama-[\\w-]+)\\s*$").matcher(s);
        String what = m.find() ? m.group(1) : s;
        int slash = what.lastIndexOf('/');
        String shortName = slash >= 0 ? what.substring(slash + 1) : what;
        if (s.startsWith("Linking")) return "linking " + shortName;
        return shortName.length() > 60 ? shortName.substring(0, 60) : shortName;
    }

    public static String shortCommit(String c) {
        return c.length() > 10 ? c.substring(0, 10) : c;
    }

    private static String label(BuildPlan plan) {
        return plan.backend().equals("cuda") ? "CUDA sm " + String.join(",", plan.cudaArchs()) : "CPU";
    }
}
