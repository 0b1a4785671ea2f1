package dev.llamagic.engine.build;

import dev.llamagic.util.Hashes;
import dev.llamagic.core.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CMake commands of one llama.cpp build, worked out from the options, the source's commit and what the
 * machine offers: pure, so every decision (backend, CUDA compiler and architectures, flags, cache key) is unit-tested.
 *
 * @param sourceDir    the llama.cpp checkout
 * @param buildDir     {@code <builds>/<key>}
 * @param commit       the commit being built
 * @param backend      "cuda" or "cpu"
 * @param cudaArchs    CMAKE_CUDA_ARCHITECTURES entries ("75", "86"); empty for CPU
 * @param nvcc         the CUDA compiler (null for CPU)
 * @param generator    "Ninja" or "Unix Makefiles"
 * @param jobs         parallel jobs
 * @param targets      targets to build
 * @param configure    the full configure command line
 * @param build        the full build command line
 * @param key          the cache key: commit + backend + archs + options
 * @param noteTemplates what the user should know about the choices made (e.g. "no GPU: building for CPU"), as
 *                     {@link Wording} templates: {@link #notes()} gives them in the engine's words
 */
public record BuildPlan(Path sourceDir, Path buildDir, String commit, String backend, List<String> cudaArchs,
                        CudaToolkit.Nvcc nvcc, String generator, int jobs, List<String> targets,
                        List<String> configure, List<String> build, String key, List<String> noteTemplates,
                        CudaToolkit.HostCompiler hostCompiler, boolean crossBuild, Map<String, String> env,
                        Path toolkitRoot) {

    /** What {@code %build-llama} builds unless told to add more. */
    public static final List<String> DEFAULT_TARGETS = List.of("llama-server", "llama-cli", "llama-quantize", "llama-bench");

    /** CMake options of llama.cpp and ggml that users pass (a typo of one is caught before anything is fetched). */
    public static final List<String> KNOWN_OPTIONS = List.of("GGML_CUDA", "GGML_NATIVE", "GGML_BLAS", "GGML_BLAS_VENDOR",
            "GGML_VULKAN", "GGML_METAL", "GGML_HIP", "GGML_SYCL", "GGML_MUSA", "GGML_OPENCL", "GGML_RPC", "GGML_CPU",
            "GGML_AVX", "GGML_AVX2", "GGML_AVX512", "GGML_AVX_VNNI", "GGML_F16C", "GGML_FMA", "GGML_OPENMP", "GGML_LTO",
            "GGML_CCACHE", "GGML_STATIC", "GGML_CUDA_F16", "GGML_CUDA_FA", "GGML_CUDA_FA_ALL_QUANTS", "GGML_CUDA_GRAPHS",
            "GGML_CUDA_NO_VMM", "GGML_CUDA_FORCE_MMQ", "GGML_CUDA_FORCE_CUBLAS", "GGML_BACKEND_DL", "GGML_CPU_ALL_VARIANTS",
            "LLAMA_CURL", "LLAMA_BUILD_TESTS", "LLAMA_BUILD_EXAMPLES", "LLAMA_BUILD_SERVER", "LLAMA_BUILD_TOOLS",
            "LLAMA_BUILD_COMMON", "LLAMA_SERVER_SSL", "LLAMA_LLGUIDANCE", "BUILD_SHARED_LIBS", "CMAKE_BUILD_TYPE",
            "CMAKE_CUDA_ARCHITECTURES", "CMAKE_CUDA_COMPILER", "CMAKE_CUDA_HOST_COMPILER", "CMAKE_C_COMPILER",
            "CMAKE_CXX_COMPILER", "CUDAToolkit_ROOT");

    /**
     * The known option that {@code name} most likely misspells: one or two letters off a known option and not one
     * itself (the tutorial's {@code GGMML_CUDA}). Anything else is left to CMake, whose unused-variable warning
     * the build turns into an error after configuring.
     */
    public static java.util.Optional<String> likelyTypo(String name) {
        if (KNOWN_OPTIONS.contains(name)) return java.util.Optional.empty();
        String best = null;
        int bestD = 3;
        for (String k : KNOWN_OPTIONS) {
            int d = dev.llamagic.util.Similar.editDistance(name.toUpperCase(java.util.Locale.ROOT), k.toUpperCase(java.util.Locale.ROOT));
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return java.util.Optional.ofNullable(best);
    }

    /**
     * The machine's side of the inputs; {@code ccache} the ccache program (null: none, builds go without) and
     * {@code ccacheDir} its cache (under LLAMAGIC_HOME), {@code toolkits} where toolkit roots made of pip wheels go.
     */
    public record Machine(String cmake, boolean ninja, int cores, CudaToolkit.Probe cuda, String ccache, Path ccacheDir,
                          Path toolkits) {
        public Machine(String cmake, boolean ninja, int cores, CudaToolkit.Probe cuda) {
            this(cmake, ninja, cores, cuda, null, null, null);
        }
    }

    /**
     * Plans a build.
     * Throws {@link UserError} when a CUDA build was required and cannot be done here, saying what is missing.
     */
    public static BuildPlan of(BuildOptions opts, Path sourceDir, String commit, Path buildsDir, Machine m) {
        List<String> notes = new ArrayList<>();
        String backend = chooseBackend(opts, m.cuda(), notes);
        List<String> archs = List.of();
        CudaToolkit.Nvcc nvcc = null;
        CudaToolkit.HostCompiler host = null;
        boolean cross = false;
        Path toolkitRoot = null;
        if (backend.equals("cuda")) {
            nvcc = m.cuda().nvcc();
            archs = cudaArchs(opts, m.cuda());
            cross = !m.cuda().hasGpu();
            for (String a : archs) {
                if (CudaToolkit.compareVersions(nvcc.version(), "13.0") >= 0 && CudaArchs.number(a) < 75) {
                    throw new UserError("CUDA " + nvcc.version() + " (" + nvcc.path() + ") cannot compile for compute capability "
                            + dotted(a) + " (CUDA 13 dropped the GPUs before 7.5): use a CUDA 12 or 11 toolkit for it");
                }
            }
            if (CudaWheels.isWheel(nvcc) && m.toolkits() != null) {
                toolkitRoot = m.toolkits().resolve("cuda-" + nvcc.version() + "-" + Hashes.sha256Hex(nvcc.home().toString()).substring(0, 8));
            }
            for (String a : archs) {
                Optional<String> min = CudaToolkit.minimumCudaFor(a);
                if (min.isPresent() && CudaToolkit.compareVersions(nvcc.version(), min.get()) < 0) {
                    throw new UserError("CUDA " + nvcc.version() + " (" + nvcc.path() + ") cannot compile for"
                            + " compute capability " + dotted(a) + ", which needs CUDA " + min.get()
                            + " or newer: install a newer toolkit and point CUDA_HOME at it");
                }
            }
            String driver = m.cuda().driverCuda();
            if (driver != null && CudaToolkit.compareVersions(nvcc.version(), driver) > 0) {
                notes.add("CUDA toolkit " + nvcc.version() + " is newer than the driver supports (CUDA " + driver
                        + "): the binaries may not see the GPU");
            }
            String hostDefine = opts.defines().get("CMAKE_CUDA_HOST_COMPILER");
            if (hostDefine == null) {
                host = CudaToolkit.chooseHost(nvcc, m.cuda().hostCompilers());
            } else {
                if (!java.nio.file.Files.isExecutable(Path.of(hostDefine))) {
                    throw new UserError("the CUDA host compiler " + hostDefine + " (CMAKE_CUDA_HOST_COMPILER) does not exist:"
                            + " name an installed g++ (CUDA " + nvcc.version() + " takes g++ "
                            + CudaToolkit.newestHostGcc(nvcc.version()) + " or older)");
                }
                host = new CudaToolkit.HostCompiler(Path.of(hostDefine), 0);
            }
        }
        int jobs = opts.jobs() > 0 ? opts.jobs() : Math.max(1, m.cores());
        LinkedHashSet<String> targets = new LinkedHashSet<>(DEFAULT_TARGETS);
        targets.addAll(opts.targets());
        String key = key(commit, backend, archs, nvcc, host, opts);
        Path buildDir = buildsDir.resolve(key);
        String generator = m.ninja() ? "Ninja" : "Unix Makefiles";

        List<String> configure = new ArrayList<>(List.of(m.cmake(), "-S", sourceDir.toString(), "-B", buildDir.toString(),
                "-G", generator, "-DCMAKE_BUILD_TYPE=Release"));
        // Portable CPU code unless asked: a GGML_NATIVE=ON build crashes on quantized models on some CPUs (AMX path).
        configure.add("-DGGML_NATIVE=" + (opts.nativeCpu() ? "ON" : "OFF"));
        configure.add("-DLLAMA_BUILD_TESTS=OFF");
        configure.add("-DLLAMA_BUILD_EXAMPLES=OFF");
        // Always OFF: ON downloads the web UI at build time, which fails offline (DSW instances often are) and
        // makes the same inputs give different builds; OFF builds the UI bundled in the source tree.
        configure.add("-DLLAMA_USE_PREBUILT_UI=OFF");
        if (backend.equals("cuda")) {
            configure.add("-DGGML_CUDA=ON");
            configure.add("-DCMAKE_CUDA_COMPILER=" + (toolkitRoot != null ? toolkitRoot.resolve("bin").resolve("nvcc") : nvcc.path()));
            configure.add("-DCUDAToolkit_ROOT=" + (toolkitRoot != null ? toolkitRoot : nvcc.home()));
            configure.add("-DCMAKE_CUDA_ARCHITECTURES=" + String.join(";", archs));
            if (!opts.defines().containsKey("CMAKE_CUDA_HOST_COMPILER")) configure.add("-DCMAKE_CUDA_HOST_COMPILER=" + host.path());
        }
        java.util.TreeMap<String, String> env = new java.util.TreeMap<>();
        if (m.ccache() != null && !opts.defines().containsKey("GGML_CCACHE")) {
            // explicit launchers (ggml's own ccache use stops when these are set), the cache under LLAMAGIC_HOME
            configure.add("-DCMAKE_C_COMPILER_LAUNCHER=" + m.ccache());
            configure.add("-DCMAKE_CXX_COMPILER_LAUNCHER=" + m.ccache());
            if (backend.equals("cuda")) configure.add("-DCMAKE_CUDA_COMPILER_LAUNCHER=" + m.ccache());
            if (m.ccacheDir() != null) env.put("CCACHE_DIR", m.ccacheDir().toString());
            // paths relative to the build directory: builds with other keys (same depth) share the cache
            Path base = commonAncestor(sourceDir.toAbsolutePath().normalize(), buildDir.toAbsolutePath().normalize());
            if (base != null && base.getNameCount() > 0) env.put("CCACHE_BASEDIR", base.toString());
        }
        for (Map.Entry<String, String> d : opts.defines().entrySet()) {
            configure.add("-D" + d.getKey() + "=" + d.getValue());
        }
        List<String> build = new ArrayList<>(List.of(m.cmake(), "--build", buildDir.toString(), "--config", "Release",
                "-j", String.valueOf(jobs), "--target"));
        build.addAll(targets);
        if (cross) {
            notes.add("no NVIDIA GPU here (" + m.cuda().gpuProblem() + "): cross-building for CUDA "
                    + String.join(", ", archs.stream().map(a -> "sm_" + a.replaceAll("-.*$", "")).toList())
                    + " with nvcc " + nvcc.version() + " and g++ " + (host.major() > 0 ? host.major() + " " : "") + "(" + host.path()
                    + "); the device check waits for the first build or server start on a GPU");
        } else if (backend.equals("cuda") && !host.path().getFileName().toString().equals("g++")) {
            notes.add("CUDA " + nvcc.version() + " takes g++ " + CudaToolkit.newestHostGcc(nvcc.version())
                    + " or older: its host compiler is " + host.path());
        }
        return new BuildPlan(sourceDir, buildDir, commit, backend, archs, nvcc, generator, jobs, List.copyOf(targets),
                List.copyOf(configure), List.copyOf(build), key, List.copyOf(notes), host, cross,
                java.util.Collections.unmodifiableMap(env), toolkitRoot);
    }

    private static Path commonAncestor(Path a, Path b) {
        Path p = a;
        while (p != null && !b.startsWith(p)) p = p.getParent();
        return p;
    }

    /** What the user should know about the choices made, in the engine's words. */
    public List<String> notes() {
        return notes(java.util.Map.of());
    }

    /** {@link #notes()} with options named as {@code names} says (see {@link Wording}). */
    public List<String> notes(java.util.Map<String, String> names) {
        return noteTemplates.stream().map(n -> Wording.render(n, names)).toList();
    }

    /** Whether the planning saw an NVIDIA GPU (a CUDA build that is not a cross-build). */
    public boolean machineHasGpu() {
        return backend.equals("cuda") && !crossBuild;
    }

    /** Where the binaries land. */
    public Path binDir() {
        return buildDir.resolve("bin");
    }

    public String cudaArchitectures() {
        return String.join(";", cudaArchs);
    }

    private static String chooseBackend(BuildOptions opts, CudaToolkit.Probe cuda, List<String> notes) {
        switch (opts.backend()) {
            case CPU:
                return "cpu";
            case CUDA:
                if (cuda.nvcc() == null) {
                    throw new Wording.Error("{cuda|a CUDA build} needs the CUDA toolkit, but no nvcc was found (looked at "
                            + String.join(", ", cuda.searched()) + notesSuffix(cuda)
                            + "): install the toolkit or set CUDA_HOME{orCpu|, or build for the CPU}");
                }
                if (!cuda.hasGpu() && opts.cudaArchs().isEmpty()) {
                    throw new Wording.Error("{cuda|a CUDA build} found nvcc " + cuda.nvcc().version() + " at " + cuda.nvcc().path()
                            + " but no NVIDIA GPU (" + cuda.gpuProblem() + "): run it on a GPU instance{crossArch|, name the GPU's CUDA"
                            + " architecture to cross-build for it}{orCpu|, or build for the CPU}");
                }
                return "cuda";
            default:
                if (!cuda.hasGpu()) {
                    notes.add("no NVIDIA GPU (" + cuda.gpuProblem() + "): building for CPU");
                    return "cpu";
                }
                if (cuda.nvcc() == null) {
                    notes.add("NVIDIA GPU found (" + cuda.gpus().get(0).name() + ") but no CUDA toolkit (looked at "
                            + String.join(", ", cuda.searched()) + "): building for CPU; install the toolkit or set"
                            + " CUDA_HOME{thenCuda|, then build for CUDA}");
                    return "cpu";
                }
                if (opts.cudaArchs().isEmpty() && cuda.archs().size() < cuda.gpus().size()
                        && cuda.gpus().stream().anyMatch(g -> g.arch().isEmpty())) {
                    notes.add("cannot tell the compute capability of " + unknownGpu(cuda) + ": building for CPU;"
                            + "{archToBuild| name its CUDA architecture (cudaArchs) and build for CUDA} to build for it");
                    return "cpu";
                }
                return "cuda";
        }
    }

    private static List<String> cudaArchs(BuildOptions opts, CudaToolkit.Probe cuda) {
        if (!opts.cudaArchs().isEmpty()) return CudaArchs.parse(opts.cudaArchs());
        if (cuda.gpus().stream().anyMatch(g -> g.arch().isEmpty())) {
            throw new Wording.Error("cannot tell the compute capability of " + unknownGpu(cuda)
                    + " (nvidia-smi does not say): name it{archName| in cudaArchs}, e.g. {archExample|86} for an A10");
        }
        return cuda.archs();
    }

    private static String unknownGpu(CudaToolkit.Probe cuda) {
        return cuda.gpus().stream().filter(g -> g.arch().isEmpty()).map(CudaToolkit.Gpu::name).findFirst().orElse("the GPU");
    }

    private static String notesSuffix(CudaToolkit.Probe cuda) {
        return cuda.notes().isEmpty() ? "" : "; " + String.join("; ", cuda.notes());
    }

    private static String dotted(String arch) {
        String digits = arch.replaceAll("[^0-9].*$", "");
        return digits.length() < 2 ? arch : digits.substring(0, digits.length() - 1) + "." + digits.substring(digits.length() - 1);
    }

    /**
     * The cache key: a readable prefix (commit, backend, archs) and a hash of every input that changes the
     * binaries. Targets are not part of it: adding a target builds into the same directory (ninja compiles only
     * what the new target needs) and leaves the other binaries as they were.
     */
    static String key(String commit, String backend, List<String> archs, CudaToolkit.Nvcc nvcc, CudaToolkit.HostCompiler host,
                      BuildOptions opts) {
        StringBuilder canon = new StringBuilder();
        canon.append("commit=").append(commit).append('\n');
        canon.append("backend=").append(backend).append('\n');
        canon.append("archs=").append(String.join(";", archs)).append('\n');
        canon.append("nvcc=").append(nvcc == null ? "" : nvcc.version() + "@" + nvcc.path()).append('\n');
        // CPU keys stay as they were; a CUDA build's host compiler changes its binaries
        if (host != null) canon.append("host=").append(host.path()).append('\n');
        canon.append("native=").append(opts.nativeCpu()).append('\n');
        canon.append("type=Release\n");
        opts.defines().forEach((k, v) -> canon.append("D:").append(k).append('=').append(v).append('\n'));
        String readable = LlamaBuilder.shortCommit(commit).replaceAll("[^A-Za-z0-9._-]", "_") + "-" + backend
                + (archs.isEmpty() ? "" : "-sm" + String.join("_", archs).replaceAll("[^A-Za-z0-9_]", ""));
        return readable + "-" + Hashes.sha256Hex(canon.toString()).substring(0, 8);
    }
}
