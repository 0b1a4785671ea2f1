package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The builder end to end with the real CMake and compiler on a tiny C project whose programs are named like
 * llama.cpp's and answer {@code --version} / {@code --list-devices} as they do (the real llama.cpp build is in the
 * kernel tests; this one takes seconds).
 */
class LlamaBuilderTest {
    @TempDir
    Path tmp;
    Path src;
    RecordingNotebook nb;
    Context ctx;

    @BeforeEach
    void project() throws Exception {
        assumeTrue(ChildProcess.which("cmake", null) != null && ChildProcess.which("cc", null) != null, "cmake and cc needed");
        src = FakeLlama.write(tmp.resolve("fake-llama"));
        nb = new RecordingNotebook();
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("LLAMAGIC_HOME", tmp.resolve("home").toString());
        ctx = new Context(nb, env, "test", null);
    }

    private LlamaBuilder.Result build(BuildOptions opts) throws Exception {
        return new LlamaBuilder(ctx).build(opts.withSource(src.toString()).cpu());
    }

    @Test
    void buildsVerifiesRecordsAndThenAnswersFromTheCache() throws Exception {
        LlamaBuilder.Result r = build(BuildOptions.defaults());
        assertFalse(r.cached());
        LlamaInstall i = r.install();
        assertEquals("cpu", i.backend());
        assertEquals(List.of("llama-server", "llama-cli", "llama-quantize", "llama-bench"), i.targets());
        assertEquals(List.of(), i.devices());
        assertTrue(i.version().startsWith("version: 0.5.0-dev"), i.version());
        assertTrue(Files.isRegularFile(r.plan().buildDir().resolve(LlamaInstall.MARKER)));
        assertEquals(i.binDir(), Llama.latest(ctx).binDir(), "later commands find it");
        String log = Files.readString(r.plan().buildDir().resolve(LlamaBuilder.LOG));
        assertTrue(log.contains("build runs as pid"), log);
        // the progress bar went through ninja's (or make's) counts and ended full
        List<String> bar = nb.lives.stream().filter(l -> l.get(0).startsWith("building llama.cpp")).findFirst().orElseThrow();
        assertTrue(bar.get(bar.size() - 1).contains("100%") && bar.get(bar.size() - 1).contains("done"), bar.toString());
        // what happened comes back as values: nothing printed but the progress bar
        assertEquals(List.of(), nb.blocks);
        assertEquals(List.of(), nb.lines);
        assertTrue(r.summary().startsWith("built and verified llama.cpp local-"), r.summary());
        assertTrue(r.summary().endsWith(" → " + i.binDir()), r.summary());
        assertEquals("llama.cpp build " + i.key(), r.title());
        Map<String, String> details = new java.util.LinkedHashMap<>();
        r.details().forEach(d -> details.put(d.getKey(), d.getValue()));
        assertEquals("ggml-cpu", details.get("backends"));
        assertEquals("none (CPU only)", details.get("devices seen"));
        assertEquals(i.binDir().resolve("llama-quantize").toString(), details.get("llama-quantize"));
        assertEquals(List.of("commit", "source", "version", "backends", "devices seen", "CUDA archs", "build time", "built at",
                "llama-server", "llama-cli", "llama-quantize", "llama-bench"), List.copyOf(details.keySet()));

        LlamaBuilder.Result again = build(BuildOptions.defaults());
        assertTrue(again.cached());
        assertEquals(i, again.install());
        assertTrue(again.summary().matches("llama\\.cpp local-\\S+ \\(CPU\\) is already built and verified \\(cached build "
                + java.util.regex.Pattern.quote(i.key()) + "\\); answered from the cache in \\d+\\.\\d\\d s"), again.summary());
        assertEquals("llama.cpp build " + i.key() + " (cached)", again.title());

        // another target: the same directory, only what it adds is built
        LlamaBuilder.Result more = build(BuildOptions.defaults().withTarget("llama-gguf-split"));
        assertFalse(more.cached());
        assertEquals(r.plan().buildDir(), more.plan().buildDir());
        assertTrue(more.install().targets().contains("llama-gguf-split"));
        assertTrue(build(BuildOptions.defaults().withTarget("llama-gguf-split")).cached());
        // a changed option builds beside
        LlamaBuilder.Result beside = build(BuildOptions.defaults().withDefine("GGML_CUDA", "OFF"));
        assertFalse(beside.cached());
        assertFalse(beside.plan().buildDir().equals(r.plan().buildDir()));
        assertEquals(2, Llama.installs(ctx).size());
        assertTrue(Files.isRegularFile(r.plan().buildDir().resolve(LlamaInstall.MARKER)), "the first build is untouched");
        // --rebuild starts from scratch
        Path stamp = Files.writeString(r.plan().buildDir().resolve("stamp"), "x");
        assertFalse(build(BuildOptions.defaults().withRebuild(true)).cached());
        assertFalse(Files.exists(stamp));
    }

    @Test
    void aCompileErrorShowsTheLogsLastLinesUnderOneHeadline() throws Exception {
        UserError e = assertThrows(UserError.class, () -> build(BuildOptions.defaults().withTarget("broken")));
        String[] lines = e.getMessage().split("\n");
        assertTrue(lines[0].startsWith("the build failed (exit 1); full log: "), lines[0]);
        assertTrue(lines[0].endsWith(LlamaBuilder.LOG), lines[0]);
        assertTrue(lines.length <= 2 + LlamaBuilder.TAIL_LINES, e.getMessage());
        assertTrue(e.getMessage().contains("this target does not compile"), e.getMessage());
        assertTrue(Llama.installs(ctx).isEmpty(), "a failed build is not recorded");
    }

    @Test
    void aCudaBuildWhoseBinariesSeeNoCudaDeviceFailsAndIsNotRecorded() throws Exception {
        FakeCuda fake = new FakeCuda(tmp.resolve("fake-cuda")).smi("12.4", "NVIDIA A10, 8.6");
        FakeCuda.nvcc(tmp.resolve("fake-cuda"), "12.4");
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("LLAMAGIC_HOME", tmp.resolve("home").toString());
        env.put("PATH", fake.bin + ":" + System.getenv("PATH"));
        Context cudaCtx = new Context(nb, env, "test", null);
        UserError e = assertThrows(UserError.class,
                () -> new LlamaBuilder(cudaCtx).build(BuildOptions.defaults().withSource(src.toString()).cuda()));
        assertTrue(e.getMessage().startsWith("the CUDA build does not see a CUDA device: llama-server --list-devices"
                + " lists none"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(Llama.installs(cudaCtx).isEmpty());
        String log = Files.readString(Files.list(tmp.resolve("home/llama.cpp/builds")).filter(Files::isDirectory)
                .findFirst().orElseThrow().resolve(LlamaBuilder.LOG));
        assertTrue(log.contains("-DGGML_CUDA=ON") && log.contains("-DCMAKE_CUDA_ARCHITECTURES=86")
                && log.contains("-DCMAKE_CUDA_COMPILER=" + fake.bin.resolve("nvcc")), log);
    }

    @Test
    void unknownTargetsAndIgnoredDefinesAreOneLine() throws Exception {
        UserError t = assertThrows(UserError.class, () -> build(BuildOptions.defaults().withTarget("llama-nope")));
        assertEquals(1, t.getMessage().lines().count(), t.getMessage());
        assertTrue(t.getMessage().contains("has no target 'llama-nope'"), t.getMessage());
        UserError d = assertThrows(UserError.class, () -> build(BuildOptions.defaults().withDefine("GGMML_CUDA", "ON")));
        assertEquals("CMake ignored -DGGMML_CUDA: llama.cpp has no such option (did you mean GGML_CUDA?);"
                + " for a CUDA build choose the CUDA backend", d.getMessage());
    }
}
