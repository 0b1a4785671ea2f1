package dev.llamagic.engine.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * A CUDA toolkit made of PyPI wheels: {@code nvidia-cuda-nvcc} 13.x and its companions install one merged tree,
 * {@code site-packages/nvidia/cu13/{bin,include,lib,nvvm}}; the 12.x wheels ({@code nvidia-cuda-nvcc-cu12},
 * {@code -runtime-cu12}, {@code nvidia-cublas-cu12}) install one tree per package, {@code nvidia/cuda_nvcc},
 * {@code nvidia/cuda_runtime}, {@code nvidia/cublas}, and {@code nvidia-cuda-nvcc-cu12} ships {@code ptxas} but no
 * {@code nvcc} (every release up to 12.9). Neither tree has the unversioned {@code libcudart.so}/{@code libcublas.so}
 * CMake looks for: {@link #assemble} makes a toolkit root of links that has them.
 */
public final class CudaWheels {
    private CudaWheels() {}

    /** Where wheels land: the site-packages of the Pythons on PATH, of the active venv or conda env, and the system's. */
    static List<Path> sitePackages(Map<String, String> env) {
        LinkedHashSet<Path> prefixes = new LinkedHashSet<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) prefixes.add(Path.of(v));
        }
        for (String dir : env.getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (dir.isBlank() || !dir.endsWith("/bin")) continue;
            try {
                prefixes.add(Path.of(dir).getParent());
            } catch (java.nio.file.InvalidPathException ignored) {
                // not a path
            }
        }
        String home = env.get("HOME");
        if (home != null && !home.isBlank()) prefixes.add(Path.of(home, ".local"));
        List<Path> out = new ArrayList<>();
        for (Path prefix : prefixes) {
            if (prefix == null) continue;
            Path lib = prefix.resolve("lib");
            if (!Files.isDirectory(lib)) continue;
            try (Stream<Path> s = Files.list(lib)) {
                for (Path py : s.filter(p -> p.getFileName().toString().startsWith("python3")).sorted().toList()) {
                    for (String sp : List.of("site-packages", "dist-packages")) {
                        if (Files.isDirectory(py.resolve(sp))) out.add(py.resolve(sp));
                    }
                }
            } catch (IOException ignored) {
                // unreadable: nothing there for us
            }
        }
        return out;
    }

    /**
     * The first wheel-made nvcc ({@code nvidia/cu13/bin/nvcc}, {@code nvidia/cu12/bin/nvcc},
     * {@code nvidia/cuda_nvcc/bin/nvcc}) in the site-packages of {@code env}; a 12.x nvcc wheel without nvcc becomes a
     * note saying so.
     */
    static CudaToolkit.Nvcc find(Map<String, String> env, List<String> searched, List<String> notes,
                                 BiFunction<Path, String, CudaToolkit.Nvcc> nvccAt) {
        searched.add("the nvidia/*/bin/nvcc of pip's CUDA wheels");
        for (Path sp : sitePackages(env)) {
            Path nvidia = sp.resolve("nvidia");
            if (!Files.isDirectory(nvidia)) continue;
            for (String part : List.of("cu13", "cu12", "cuda_nvcc")) {
                Path nvcc = nvidia.resolve(part).resolve("bin").resolve("nvcc");
                CudaToolkit.Nvcc n = nvccAt.apply(nvcc, "pip wheel " + nvidia.resolve(part));
                if (n != null) return n;
            }
            Path ptxas = nvidia.resolve("cuda_nvcc").resolve("bin").resolve("ptxas");
            if (Files.isRegularFile(ptxas)) {
                notes.add(nvidia.resolve("cuda_nvcc") + " holds pip's nvidia-cuda-nvcc-cu12, which ships ptxas but no nvcc"
                        + " (pip install nvidia-cuda-nvcc for CUDA 13 brings nvcc)");
            }
        }
        return null;
    }

    /** Whether {@code nvcc} lives in a pip wheel's tree ({@code .../site-packages/nvidia/<part>/bin/nvcc}). */
    public static boolean isWheel(CudaToolkit.Nvcc nvcc) {
        Path part = nvcc.home();
        return part != null && part.getParent() != null && part.getParent().getFileName() != null
                && part.getParent().getFileName().toString().equals("nvidia")
                && part.getParent().getParent() != null
                && part.getParent().getParent().getFileName().toString().matches("(site|dist)-packages");
    }

    /**
     * A toolkit root for CMake made of links into the wheels beside {@code nvcc} ({@code nvidia/*}): {@code bin},
     * {@code include}, {@code nvvm} and {@code lib} merged, {@code lib64} the same as {@code lib}, and an unversioned
     * link for each {@code libX.so.N}. Made under {@code dir} (rebuilt each time: cheap, and follows upgrades).
     */
    public static Path assemble(CudaToolkit.Nvcc nvcc, Path dir) throws IOException {
        Path nvidia = nvcc.home().getParent();
        List<Path> parts = new ArrayList<>();
        parts.add(nvcc.home());
        try (Stream<Path> s = Files.list(nvidia)) {
            for (Path p : s.filter(Files::isDirectory).sorted().toList()) {
                if (!p.equals(nvcc.home()) && !p.getFileName().toString().matches("cu\\d+") && !p.getFileName().toString().startsWith("_")) {
                    parts.add(p);
                }
            }
        }
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
        LlamaSource.deleteTree(tmp);
        Files.createDirectories(tmp);
        for (Path part : parts) {
            for (String sub : List.of("bin", "include", "lib", "nvvm")) {
                Path from = part.resolve(sub);
                if (!Files.isDirectory(from)) continue;
                Path to = Files.createDirectories(tmp.resolve(sub));
                try (Stream<Path> s = Files.list(from)) {
                    for (Path f : s.sorted().toList()) {
                        String name = f.getFileName().toString();
                        if (name.equals("__init__.py") || name.equals("__pycache__")) continue;
                        Path link = to.resolve(name);
                        if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, f);
                    }
                }
            }
        }
        Path lib = tmp.resolve("lib");
        if (Files.isDirectory(lib)) {
            try (Stream<Path> s = Files.list(lib)) {
                for (Path f : s.sorted().toList()) {
                    String name = f.getFileName().toString();
                    int so = name.indexOf(".so.");
                    if (so < 0) continue;
                    Path plain = lib.resolve(name.substring(0, so + 3));
                    if (!Files.exists(plain, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(plain, f.getFileName());
                }
            }
            Files.createSymbolicLink(tmp.resolve("lib64"), Path.of("lib"));
        }
        LlamaSource.deleteTree(dir);
        Files.createDirectories(dir.getParent());
        Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }
}
