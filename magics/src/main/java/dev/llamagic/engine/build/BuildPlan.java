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
                        List<String> configure, List<String> build, String key, List<String> noteTemplates) {

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

    /** The machine's side of the inputs. */
    public record Machine(String cmake, boolean ninja, int cores, CudaToolkit.Probe cuda) {}

    /**
     * Plans a build.
     * Throws {@link UserError} when a CUDA build was required and cannot be done here, saying what is missing.
     */
    public static BuildPlan of(BuildOptions opts, Path sourceDir, String commit, Path buildsDir, Machine m) {
        List<String> notes = new ArrayList<>();
        String backend = chooseBackend(opts, m.cuda(), notes);
        List<String> archs = List.of();
        CudaToolkit.Nvcc nvcc = null;
        if (backend.equals("cuda")) {
            nvcc = m.cuda().nvcc();
            archs = cudaArchs(opts, m.cuda());
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
        }
        int jobs = opts.jobs() > 0 ? opts.jobs() : Math.max(1, m.cores());
        LinkedHashSet<String> targets = new LinkedHashSet<>(DEFAULT_TARGETS);
        targets.addAll(opts.targets());
        String key = key(commit, backend, archs, nvcc, opts);
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
            configure.add("-DCMAKE_CUDA_COMPILER=" + nvcc.path());
            configure.add("-DCUDAToolkit_ROOT=" + nvcc.home());
            configure.add("-DCMAKE_CUDA_ARCHITECTURES=" + String.join(";", archs));
        }
        for (Map.Entry<String, String> d : opts.defines().entrySet()) {
            configure.add("-D" + d.getKey() + "=" + d.getValue());
        }
        List<String> build = new ArrayList<>(List.of(m.cmake(), "--build", buildDir.toString(), "--config", "Release",
                "-j", String.valueOf(jobs), "--target"));
        build.addAll(targets);
        return new BuildPlan(sourceDir, buildDir, commit, backend, archs, nvcc, generator, jobs, List.copyOf(targets),
                List.copyOf(configure), List.copyOf(build), key, List.copyOf(notes));
    }

    /** What the user should know about the choices made, in the engine's words. */
    public List<String> notes() {
        return notes(java.util.Map.of());
    }

    /** {@link #notes()} with options named as {@code names} says (see {@link Wording}). */
    public List<String> notes(java.util.Map<String, String> names) {
        return noteTemplates.stream().map(n -> Wording.render(n, names)).toList();
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
                if (!cuda.hasGpu()) {
                    throw new Wording.Error("{cuda|a CUDA build} found nvcc " + cuda.nvcc().version() + " at " + cuda.nvcc().path()
                            + " but no NVIDIA GPU (" + cuda.gpuProblem() + "): a CUDA build is verified on the GPU,"
                            + " so run it on a GPU instance{orCpu|, or build for the CPU}");
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
        if (!opts.cudaArchs().isEmpty()) {
            List<String> archs = new ArrayList<>();
            for (String a : opts.cudaArchs()) {
                for (String part : a.split("[;,\\s]+")) {
                    String p = part.trim().replace(".", "");
                    if (p.isEmpty()) continue;
                    if (!p.matches("\\d{2,3}[a-z]?(-real|-virtual)?")) {
                        throw new Wording.Error("{cudaArch|the CUDA architecture} " + part + " is not a CUDA architecture"
                                + " (write the compute capability without the dot: 86 for an A10, 75 for a T4)");
                    }
                    if (!archs.contains(p)) archs.add(p);
                }
            }
            return List.copyOf(archs);
        }
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
    static String key(String commit, String backend, List<String> archs, CudaToolkit.Nvcc nvcc, BuildOptions opts) {
        StringBuilder canon = new StringBuilder();
        canon.append("commit=").append(commit).append('\n');
        canon.append("backend=").append(backend).append('\n');
        canon.append("archs=").append(String.join(";", archs)).append('\n');
        canon.append("nvcc=").append(nvcc == null ? "" : nvcc.version() + "@" + nvcc.path()).append('\n');
        canon.append("native=").append(opts.nativeCpu()).append('\n');
        canon.append("type=Release\n");
        opts.defines().forEach((k, v) -> canon.append("D:").append(k).append('=').append(v).append('\n'));
        String readable = LlamaBuilder.shortCommit(commit).replaceAll("[^A-Za-z0-9._-]", "_") + "-" + backend
                + (archs.isEmpty() ? "" : "-sm" + String.join("_", archs).replaceAll("[^A-Za-z0-9_]", ""));
        return readable + "-" + Hashes.sha256Hex(canon.toString()).substring(0, 8);
    }
}
