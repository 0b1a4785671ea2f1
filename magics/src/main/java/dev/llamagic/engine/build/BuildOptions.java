package dev.llamagic.engine.build;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to build: the inputs of {@code %build-llama} and of {@link Llama#build(dev.llamagic.core.Context, BuildOptions)}.
 * Immutable; {@code BuildOptions.defaults().cpu().withTarget("llama-gguf-split")}.
 *
 * @param source    a git URL, a local directory or a git bundle file; null = the upstream repository
 * @param ref       tag, branch or commit to check out; null = {@link LlamaSource#DEFAULT_REF} for the upstream
 *                  repository, the bundle's or directory's HEAD otherwise
 * @param backend   auto (CUDA when a GPU and the toolkit are there), cuda (required), cpu
 * @param rebuild   build even if a verified build with the same key exists
 * @param nativeCpu {@code -DGGML_NATIVE=ON} (tuned to this CPU; off by default, see the README)
 * @param targets   targets built besides {@link BuildPlan#DEFAULT_TARGETS}
 * @param defines   extra {@code -DNAME=VALUE} for CMake's configure step (part of the cache key)
 * @param cudaArchs CMAKE_CUDA_ARCHITECTURES to use instead of the GPUs' own (e.g. "86"); empty = from nvidia-smi
 * @param jobs      parallel build jobs; 0 = the number of cores
 */
public record BuildOptions(String source, String ref, Backend backend, boolean rebuild, boolean nativeCpu,
                           List<String> targets, Map<String, String> defines, List<String> cudaArchs, int jobs) {

    public enum Backend { AUTO, CUDA, CPU }

    public BuildOptions {
        backend = backend == null ? Backend.AUTO : backend;
        targets = List.copyOf(targets == null ? List.of() : targets);
        defines = java.util.Collections.unmodifiableMap(new TreeMap<>(defines == null ? Map.of() : defines));
        cudaArchs = List.copyOf(cudaArchs == null ? List.of() : cudaArchs);
    }

    public static BuildOptions defaults() {
        return new BuildOptions(null, null, Backend.AUTO, false, false, List.of(), Map.of(), List.of(), 0);
    }

    public BuildOptions withSource(String s) {
        return new BuildOptions(s, ref, backend, rebuild, nativeCpu, targets, defines, cudaArchs, jobs);
    }

    public BuildOptions withRef(String r) {
        return new BuildOptions(source, r, backend, rebuild, nativeCpu, targets, defines, cudaArchs, jobs);
    }

    public BuildOptions withBackend(Backend b) {
        return new BuildOptions(source, ref, b, rebuild, nativeCpu, targets, defines, cudaArchs, jobs);
    }

    public BuildOptions cpu() {
        return withBackend(Backend.CPU);
    }

    public BuildOptions cuda() {
        return withBackend(Backend.CUDA);
    }

    public BuildOptions withRebuild(boolean r) {
        return new BuildOptions(source, ref, backend, r, nativeCpu, targets, defines, cudaArchs, jobs);
    }

    public BuildOptions withNativeCpu(boolean n) {
        return new BuildOptions(source, ref, backend, rebuild, n, targets, defines, cudaArchs, jobs);
    }

    public BuildOptions withTarget(String t) {
        List<String> all = new ArrayList<>(targets);
        all.add(t);
        return new BuildOptions(source, ref, backend, rebuild, nativeCpu, all, defines, cudaArchs, jobs);
    }

    public BuildOptions withDefine(String name, String value) {
        Map<String, String> all = new TreeMap<>(defines);
        all.put(name, value);
        return new BuildOptions(source, ref, backend, rebuild, nativeCpu, targets, all, cudaArchs, jobs);
    }

    public BuildOptions withCudaArchs(List<String> archs) {
        return new BuildOptions(source, ref, backend, rebuild, nativeCpu, targets, defines, archs, jobs);
    }

    public BuildOptions withJobs(int j) {
        return new BuildOptions(source, ref, backend, rebuild, nativeCpu, targets, defines, cudaArchs, j);
    }
}
