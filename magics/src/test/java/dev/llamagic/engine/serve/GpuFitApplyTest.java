package dev.llamagic.engine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.Session;
import dev.llamagic.engine.gguf.GgmlType;
import dev.llamagic.engine.gguf.GgufTensorInfo;
import dev.llamagic.engine.gguf.GgufValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU defaults applied at launch, with a real (fake) nvidia-smi script on PATH and a Qwen3-32B-like GGUF header
 * (MemoryPlanTest's shape) on a sparse file: llamagic's estimate where the binary has no -fit, the split by free
 * memory, flash attention for a quantized V cache.
 */
class GpuFitApplyTest {
    static final long MIB = 1L << 20;
    @TempDir
    Path dir;
    private final Session session = new Session();
    private Path model;

    @BeforeEach
    void model() throws Exception {
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.architecture", GgufValue.string("qwen3"));
        md.put("qwen3.block_count", GgufValue.u32(64));
        md.put("qwen3.context_length", GgufValue.u32(40960));
        md.put("qwen3.embedding_length", GgufValue.u32(5120));
        md.put("qwen3.attention.head_count", GgufValue.u32(64));
        md.put("qwen3.attention.head_count_kv", GgufValue.u32(8));
        md.put("qwen3.attention.key_length", GgufValue.u32(128));
        md.put("qwen3.attention.value_length", GgufValue.u32(128));
        md.put("qwen3.vocab_size", GgufValue.u32(151936));
        List<GgufTensorInfo> t = new ArrayList<>();
        t.add(new GgufTensorInfo("token_embd.weight", new long[] {2560, 151936}, GgmlType.F16, 0));
        for (int i = 0; i < 64; i++) t.add(new GgufTensorInfo("blk." + i + ".ffn_up.weight", new long[] {5120, 30720}, GgmlType.F16, 0));
        t.add(new GgufTensorInfo("output.weight", new long[] {5120, 61440}, GgmlType.F16, 0));
        model = MemoryPlanTest.write(dir.resolve("big-F16.gguf"), md, t);
    }

    @AfterEach
    void close() {
        session.close();
    }

    private Context ctx(String... gpuLines) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path csv = dir.resolve("gpus.csv");
        Files.writeString(csv, String.join("\n", gpuLines) + "\n");
        Path smi = bin.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\ncase \"$*\" in\n  *--query-gpu*) cat '" + csv + "' ;;\nesac\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", dir.resolve("home").toString(),
                "PATH", bin + ":/usr/bin:/bin"), "JJava test", null, session);
    }

    static ServerFlags cudaBuild(String help) {
        return ServerFlags.parse(help, "Available devices:\n  CUDA0: NVIDIA A10 (23028 MiB, 23028 MiB free)\n");
    }

    @Test
    void withoutFitInTheBinaryLlamagicEstimatesContextAndLayers() throws Exception {
        ServerSpec.Builder b = ServerSpec.builder(model).fit(true);
        List<String> notes = new ArrayList<>();
        GpuFit.apply(ctx("0, NVIDIA A10, 0, 23028, 0, 30, 15.0"), b, cudaBuild(GpuFitTest.OLDER), notes, false);
        assertEquals(6912, b.ctx());
        assertEquals("65", b.ngl());
        assertEquals(List.of("this llama-server cannot fit itself (no -fit in its --help): context 6912, 65 of 65 layers on the GPU "
                + "are llamagic's estimate from free GPU memory"), notes);
    }

    @Test
    void aBinaryWithFitFitsItselfAndSeveralGpusSplitByFreeMemory() throws Exception {
        ServerSpec.Builder b = ServerSpec.builder(model).fit(true).cacheType("q8_0", "q8_0");
        List<String> notes = new ArrayList<>();
        Context c = ctx("0, NVIDIA A10, 0, 23028, 0, 30, 15.0", "1, NVIDIA A10, 11514, 23028, 0, 30, 15.0");
        GpuFit.apply(c, b, cudaBuild(ServerFlagsTest.help()), notes, false);
        assertNull(b.ctx());
        assertNull(b.ngl());
        assertEquals("2,1", b.tensorSplit());
        assertEquals("on", b.flashAttention());
        assertEquals(List.of("a quantized V cache (q8_0) needs flash attention: turned on",
                "tensor split 2,1 over GPUs 0,1 (proportional to their free memory)"), notes);
        // --gpus 1: one GPU, no split
        ServerSpec.Builder one = ServerSpec.builder(model).gpus("1");
        List<String> none = new ArrayList<>();
        GpuFit.apply(c, one, cudaBuild(ServerFlagsTest.help()), none, false);
        assertNull(one.tensorSplit());
        assertEquals(List.of(), none);
    }
}
