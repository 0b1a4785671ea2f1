package dev.llamagic.engine.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.engine.gguf.GgmlType;
import dev.llamagic.engine.gguf.GgufTensorInfo;
import dev.llamagic.engine.gguf.GgufValue;
import dev.llamagic.engine.gguf.GgufWriter;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memory budget of a Qwen3-32B-like model (64 layers of 300 MiB, output 600 MiB, GQA 8 × 128, trained context
 * 40960, vocabulary 151936) on 1, 2 and 4 A10s and on a T4; the expected figures are worked out by hand in the
 * comments (KV per token and layer at f16: 8 heads × (128 + 128) × 2 B = 4 KiB).
 */
class MemoryPlanTest {
    static final long MIB = 1L << 20;
    static final MemoryPlan.Shape BIG = shape();

    static MemoryPlan.Shape shape() {
        long[] layers = new long[64];
        Arrays.fill(layers, 300 * MIB);
        return new MemoryPlan.Shape(64, 5120, 64, 8, 128, 128, 40960, 151936, layers, 600 * MIB, 400 * MIB);
    }

    static List<MemoryPlan.Device> a10s(int n) {
        List<MemoryPlan.Device> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new MemoryPlan.Device(i, "NVIDIA A10", 23028 * MIB, 23028 * MIB));
        return out;
    }

    @Test
    void oneA10FitsTheContextToWhatIsLeft() {
        MemoryPlan.Plan p = MemoryPlan.plan(BIG, a10s(1), MemoryPlan.Request.defaults(), 0);
        // 23028 - 1024 margin - 19800 weights - 456.75 compute (logits 296.75 + activations 160) = 1747.25 MiB
        // / (64 × 4 KiB per token) = 6989 tokens, down to a multiple of 256
        assertEquals(6912, p.ctx());
        assertTrue(p.ctxFitted() && p.fits());
        assertEquals(65, p.gpuLayers());
        MemoryPlan.Row gpu = p.rows().get(0);
        assertEquals(64, gpu.layers());
        assertEquals(19800 * MIB, gpu.weights());
        assertEquals(64L * 4096 * 6912, gpu.kv());
        assertEquals(4L * 512 * 5120 * 16 + 4L * 512 * 151936, gpu.compute());
        assertTrue(gpu.freeAfter() >= MemoryPlan.MARGIN);
        assertEquals("CPU (RAM)", p.rows().get(1).device());
        assertEquals(400 * MIB, p.rows().get(1).weights());
    }

    @Test
    void aQuantizedCacheHoldsMoreContext() {
        MemoryPlan.Plan p = MemoryPlan.plan(BIG, a10s(1), new MemoryPlan.Request(null, null, null, "q8_0", "q8_0", true), 0);
        // q8_0: 34 bytes per 32 → 8 × 256 × 34/32 = 2176 B per token and layer
        assertEquals(13056, p.ctx());
    }

    @Test
    void twoA10sSplitTheLayersAsLlamaCppDoes() {
        MemoryPlan.Plan p = MemoryPlan.plan(BIG, a10s(2), MemoryPlan.Request.defaults(), 0);
        assertEquals("1,1", p.splitArg());
        // units 0..64 (64 = output) go to GPU upper_bound([0.5, 1], i / 65): 0..32 → GPU 0, 33..64 → GPU 1
        assertEquals(33, p.rows().get(0).layers());
        assertEquals(31, p.rows().get(1).layers());
        assertEquals(9900 * MIB, p.rows().get(0).weights());
        assertEquals(9900 * MIB, p.rows().get(1).weights());
        assertEquals(40960, p.ctx()); // the trained context fits
        assertEquals(33L * 4096 * 40960, p.rows().get(0).kv());
        assertEquals(65, p.gpuLayers());
    }

    @Test
    void fourA10s() {
        MemoryPlan.Plan p = MemoryPlan.plan(BIG, a10s(4), MemoryPlan.Request.defaults(), 0);
        assertEquals("1,1,1,1", p.splitArg());
        assertEquals(List.of(17, 16, 16, 15), p.rows().subList(0, 4).stream().map(MemoryPlan.Row::layers).toList());
        assertEquals(15 * 300 * MIB + 600 * MIB, p.rows().get(3).weights());
        assertEquals(40960, p.ctx());
    }

    @Test
    void theDefaultSplitFollowsFreeMemory() {
        List<MemoryPlan.Device> gpus = List.of(new MemoryPlan.Device(0, "NVIDIA A10", 23028 * MIB, 23028 * MIB),
                new MemoryPlan.Device(1, "NVIDIA A10", 11514 * MIB, 23028 * MIB));
        MemoryPlan.Plan p = MemoryPlan.plan(BIG, gpus, MemoryPlan.Request.defaults(), 0);
        assertEquals("2,1", p.splitArg());
        // upper_bound([2/3, 1], i / 65): 0..43 → GPU 0 (43/65 = 0.6615), 44..64 → GPU 1
        assertEquals(44, p.rows().get(0).layers());
        assertEquals(20, p.rows().get(1).layers());
        MemoryPlan.Plan given = MemoryPlan.plan(BIG, gpus, new MemoryPlan.Request(null, null, new double[] {3, 1}, "f16", "f16", true), 0);
        assertEquals("3,1", given.splitArg());
    }

    @Test
    void aT4TakesLayersOffTheGpu() {
        List<MemoryPlan.Device> t4 = List.of(new MemoryPlan.Device(0, "Tesla T4", 15360 * MIB, 15360 * MIB));
        MemoryPlan.Plan p = MemoryPlan.plan(BIG, t4, MemoryPlan.Request.defaults(), 64L << 30);
        // k layers on the GPU (output on the CPU): 15360 - 1024 - 160 - 300k must hold 4096 tokens × k × 4 KiB = 16k MiB
        // → k = 44, room 976 MiB → 976 × 256 / 44 = 5678 → 5632
        assertEquals(44, p.gpuLayers());
        assertEquals(5632, p.ctx());
        assertTrue(p.fits());
        assertEquals(20, p.rows().get(1).layers());
        assertEquals(20 * 300 * MIB + 600 * MIB + 400 * MIB, p.rows().get(1).weights());
    }

    @Test
    void aGivenContextThatCannotFitIsSaid() {
        MemoryPlan.Plan p = MemoryPlan.plan(BIG, a10s(1), new MemoryPlan.Request(40960, 65, null, "f16", "f16", true), 0);
        assertFalse(p.fits());
        assertEquals(40960, p.ctx());
        assertFalse(p.ctxFitted());
        MemoryPlan.Plan cpu = MemoryPlan.plan(BIG, List.of(), MemoryPlan.Request.defaults(), 64L << 30);
        assertEquals(0, cpu.gpuLayers());
        assertEquals(64, cpu.rows().get(0).layers());
    }

    @Test
    void theShapeComesFromTheGgufHeaderOfEveryPart(@TempDir Path dir) throws Exception {
        Map<String, GgufValue> md = new LinkedHashMap<>();
        md.put("general.architecture", GgufValue.string("qwen3"));
        md.put("qwen3.block_count", GgufValue.u32(2));
        md.put("qwen3.context_length", GgufValue.u32(32768));
        md.put("qwen3.embedding_length", GgufValue.u32(256));
        md.put("qwen3.attention.head_count", GgufValue.u32(4));
        md.put("qwen3.attention.head_count_kv", GgufValue.u32(2));
        md.put("qwen3.attention.key_length", GgufValue.u32(128));
        md.put("qwen3.attention.value_length", GgufValue.u32(128));
        List<GgufTensorInfo> first = List.of(new GgufTensorInfo("token_embd.weight", new long[] {256, 1000}, GgmlType.Q8_0, 0),
                new GgufTensorInfo("blk.0.attn_q.weight", new long[] {256, 512}, GgmlType.F16, 0));
        List<GgufTensorInfo> second = List.of(new GgufTensorInfo("blk.1.attn_q.weight", new long[] {256, 512}, GgmlType.F16, 0),
                new GgufTensorInfo("output_norm.weight", new long[] {256}, GgmlType.F32, 0));
        Path p1 = write(dir.resolve("m-Q8_0-00001-of-00002.gguf"), md, first);
        write(dir.resolve("m-Q8_0-00002-of-00002.gguf"), new LinkedHashMap<>(Map.of("split.no", GgufValue.u32(1))), second);
        MemoryPlan.Shape s = MemoryPlan.Shape.read(p1);
        assertEquals(2, s.nLayer());
        assertEquals(32768, s.ctxTrain());
        assertEquals(1000, s.nVocab());
        assertArrayEquals(new long[] {256 * 512 * 2, 256 * 512 * 2}, s.layerBytes());
        // tied embeddings: the output is token_embd again, on the output's device
        assertEquals(256 * 4 + 256 * 1000 / 32 * 34, s.outputBytes());
        assertEquals(256 * 1000 / 32 * 34, s.inputBytes());
        assertEquals(2 * (128 * 2.0 + 128 * 2.0), s.kvPerTokenPerLayer("f16", "f16"));
    }

    static Path write(Path file, Map<String, GgufValue> md, List<GgufTensorInfo> tensors) throws Exception {
        List<GgufTensorInfo> laid = GgufWriter.layout(tensors, GgufWriter.DEFAULT_ALIGNMENT);
        byte[] header = GgufWriter.header(md, laid, GgufWriter.DEFAULT_ALIGNMENT);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(header);
            f.setLength(header.length + GgufWriter.dataBytes(laid, GgufWriter.DEFAULT_ALIGNMENT));
        }
        return file;
    }
}
