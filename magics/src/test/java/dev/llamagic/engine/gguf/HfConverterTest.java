package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The converter's plan and pipeline on a tiny model written here byte by byte (safetensors header + data, plain
 * Java): what it plans (names, types, shapes, offsets, size), what it writes (read back with {@link GgufReader},
 * every tensor's bytes against the conversion kernels), and that a refusal or an interrupt leaves no file.
 */
class HfConverterTest {
        @TempDir
    Path tmp;

    Path model(String name, String arch, List<TinyModel.Src> tensors) throws IOException {
        return TinyModel.write(tmp.resolve(name), arch, tensors);
    }

    static Context context(Notebook nb) {
        return new Context(nb, Map.of("LLAMAGIC_HOME", System.getProperty("java.io.tmpdir")), "test", null);
    }

    /** A notebook that keeps nothing but calls {@code onUpdate} whenever a live view (a progress bar) is redrawn. */
    static Notebook quiet(Runnable onUpdate) {
        return new Notebook() {
            public void print(String line) {}

            public void warn(String line) {}

            public void html(String html, String text) {}

            public LiveView live(String html, String text) {
                return (h, t) -> onUpdate.run();
            }
        };
    }

    static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static byte[] read(Path f, long pos, long n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) n);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            Safetensors.readFully(ch, b, pos);
        }
        return b.array();
    }

    /** Maps each source tensor to its GGUF name (null when dropped). */
    static String ggufName(String hf) {
        return new Qwen3Arch().tensorName(hf);
    }

    // ---- the plan --------------------------------------------------------------------------------------

    @Test
    void thePlanNamesTypesShapesAndLaysOutEveryTensor() throws Exception {
        List<TinyModel.Src> src = TinyModel.tensors("Qwen3ForCausalLM", "F32");
        Path dir = model("Tiny-Qwen3", "Qwen3ForCausalLM", src);
        HfConverter.Plan plan = HfConverter.plan(HfConverter.Options.builder(dir).outtype("q8_0").build());

        assertEquals(dir.resolve(plan.out().getFileName()), plan.out(), "the default name, inside the model directory");
        assertTrue(plan.out().getFileName().toString().endsWith("-Q8_0.gguf"), plan.out().toString());
        assertEquals("Q8_0", plan.outputType());
        assertEquals(7, plan.fileType());
        assertTrue(plan.arch() instanceof Qwen3Arch);

        // tensors in the order llama.cpp writes them: the safetensors names sorted, inv_freq dropped
        List<String> hf = src.stream().map(TinyModel.Src::name).filter(n -> !n.endsWith("inv_freq")).sorted().toList();
        assertEquals(hf.stream().map(HfConverterTest::ggufName).toList(), plan.infos().stream().map(GgufTensorInfo::name).toList());
        Map<String, GgufTensorInfo> info = new LinkedHashMap<>();
        plan.infos().forEach(i -> info.put(i.name(), i));
        // matrices as asked; 1-D and norms F32; a matrix whose rows Q8_0 blocks do not divide: F16
        assertEquals(GgmlType.Q8_0, info.get("token_embd.weight").type());
        assertEquals(GgmlType.Q8_0, info.get("blk.0.attn_q.weight").type());
        assertEquals(GgmlType.F16, info.get("blk.0.ffn_down.weight").type());
        assertEquals(GgmlType.F32, info.get("blk.0.attn_q_norm.weight").type());
        assertEquals(GgmlType.F32, info.get("output_norm.weight").type());
        // dims innermost first
        assertArrayEquals(new long[] {TinyModel.HIDDEN, TinyModel.VOCAB}, info.get("token_embd.weight").dims());
        assertArrayEquals(new long[] {TinyModel.FFN, TinyModel.HIDDEN}, info.get("blk.0.ffn_down.weight").dims());
        assertArrayEquals(new long[] {TinyModel.HEAD_DIM}, info.get("blk.0.attn_k_norm.weight").dims());
        // each tensor right after the previous one, aligned to 32 bytes
        long at = 0;
        for (GgufTensorInfo i : plan.infos()) {
            assertEquals(at, i.offset(), i.name());
            at += (i.bytes() + 31) / 32 * 32;
        }
        assertEquals(at, plan.dataBytes());
        assertEquals(TinyModel.VOCAB / 32 * 34L * TinyModel.HIDDEN, info.get("token_embd.weight").bytes());

        long params = src.stream().filter(s -> !s.name().endsWith("inv_freq")).mapToLong(s -> s.values().length).sum();
        assertEquals(params, plan.parameters());
        assertEquals(params * 4, plan.sourceBytes(), "F32 source bytes read, inv_freq not counted");

        Map<String, GgufValue> kv = plan.metadata();
        assertEquals("qwen3", kv.get("general.architecture").asString());
        assertEquals(7L, kv.get("general.file_type").asLong());
        assertEquals(1L, kv.get("qwen3.block_count").asLong());
        assertEquals("qwen2", kv.get("tokenizer.ggml.pre").asString());
        assertEquals(TinyModel.VOCAB, kv.get("tokenizer.ggml.tokens").list().size(), "padded to vocab_size");
        assertEquals("[PAD6]", kv.get("tokenizer.ggml.tokens").list().get(6));
    }

    @Test
    void outputNamesAndOuttypes() throws Exception {
        Path dir = model("Tiny-Qwen3", "Qwen3ForCausalLM", TinyModel.tensors("Qwen3ForCausalLM", "BF16"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertEquals(out.resolve("m-bf16.gguf"), HfConverter.plan(HfConverter.Options.builder(dir)
                .outfile(out.resolve("m-{ftype}.gguf")).build()).out(), "auto on BF16 weights is bf16; {ftype} filled in");
        HfConverter.Plan intoDir = HfConverter.plan(HfConverter.Options.builder(dir).outtype("f16").outfile(out).build());
        assertEquals(out, intoDir.out().getParent(), "a directory gets the default name");
        assertEquals(GgmlType.F16, intoDir.infos().stream().filter(i -> i.name().equals("token_embd.weight")).findFirst()
                .orElseThrow().type());
        UserError e = assertThrows(UserError.class, () -> HfConverter.plan(HfConverter.Options.builder(dir).outtype("q4").build()));
        assertTrue(e.getMessage().contains("q4"), e.getMessage());
        // the record constructor keeps working, with the same defaults as the builder
        assertEquals(HfConverter.Options.builder(dir).build(), new HfConverter.Options(dir, null, null, 0, 0));
        assertEquals(HfConverter.Options.of(dir), HfConverter.Options.builder(dir).build());
        HfConverter.Options o = HfConverter.Options.builder(dir).outtype("q8_0").threads(3).keepFree(5).build();
        assertEquals(o, o.toBuilder().build());
        assertEquals(3, o.threads());
        // unset: the cores, but no more than DEFAULT_MAX_THREADS (more threads add memory, not speed: the
        // conversion waits on the disk; at 8 threads a Qwen2.5-VL-3B's two files took a 1.1 GiB peak RSS)
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(Math.min(cores, 4), HfConverter.Options.of(dir).threads());
        assertEquals(17, HfConverter.Options.builder(dir).threads(17).build().threads(), "an explicit count is kept");
    }

    @Test
    void theDiskCheckRefusesBeforeWritingAnything() throws Exception {
        Path dir = model("Tiny-Qwen3", "Qwen3ForCausalLM", TinyModel.tensors("Qwen3ForCausalLM", "F32"));
        Path out = tmp.resolve("out");
        HfConverter.Options o = HfConverter.Options.builder(dir).outfile(out.resolve("x.gguf")).keepFree(1L << 60).build();
        HfConverter.Plan plan = HfConverter.plan(o);
        UserError e = assertThrows(UserError.class, () -> HfConverter.checkDisk(plan, o, 0));
        assertTrue(e.getMessage().startsWith("not enough disk space in " + out + ": the GGUF needs "), e.getMessage());
        assertThrows(UserError.class, () -> Gguf.convert(context(quiet(() -> {})), o));
        assertEquals(List.of(), files(out));
        HfConverter.checkDisk(plan, o.toBuilder().keepFree(0).build(), 0);
    }

    // ---- the pipeline ----------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} weights to {1}")
    @CsvSource({"F32, f32", "F32, f16", "F32, bf16", "F32, q8_0", "BF16, f16", "BF16, f32", "BF16, bf16", "F16, q8_0", "F16, f16"})
    void everyTensorIsWrittenWhereTheHeaderSaysAsTheKernelsConvertIt(String dtype, String outtype) throws Exception {
        List<TinyModel.Src> src = TinyModel.tensors("Qwen3ForCausalLM", dtype);
        Path dir = model("Tiny-Qwen3", "Qwen3ForCausalLM", src);
        Path out = Files.createDirectories(tmp.resolve("out"));
        HfConverter.Options o = HfConverter.Options.builder(dir).outtype(outtype).outfile(out.resolve("t.gguf")).threads(3).build();
        HfConverter.Plan plan = HfConverter.plan(o);
        AtomicInteger redraws = new AtomicInteger();
        HfConverter.Result r = Gguf.convertWithResult(context(quiet(redraws::incrementAndGet)), o);

        assertEquals(List.of("t.gguf"), files(out), "no temporary file left");
        GgufFile g = GgufReader.read(r.out());
        assertEquals(List.copyOf(plan.metadata().keySet()), List.copyOf(g.metadata().keySet()));
        for (Map.Entry<String, GgufValue> e : plan.metadata().entrySet()) {
            assertEquals(e.getValue().type(), g.get(e.getKey()).type(), e.getKey());
            if (e.getValue().type() != GgufValue.Type.ARRAY) {
                assertEquals(String.valueOf(e.getValue().value()), String.valueOf(g.get(e.getKey()).value()), e.getKey());
            } else {
                assertEquals(e.getValue().list().size(), g.get(e.getKey()).list().size(), e.getKey());
            }
        }
        assertEquals(plan.infos().size(), g.tensors().size());
        Map<String, TinyModel.Src> byName = new LinkedHashMap<>();
        for (TinyModel.Src s : src) {
            String n = ggufName(s.name());
            if (n != null) byName.put(n, s);
        }
        for (int i = 0; i < g.tensors().size(); i++) {
            GgufTensorInfo t = g.tensors().get(i);
            GgufTensorInfo p = plan.infos().get(i);
            assertEquals(p.name(), t.name());
            assertEquals(p.type(), t.type(), t.name());
            assertArrayEquals(p.dims(), t.dims(), t.name());
            assertEquals(p.offset(), t.offset(), t.name());
            byte[] want = TinyModel.expected(byName.get(t.name()).values(), t.type());
            byte[] got = read(r.out(), g.dataOffset() + t.offset(), t.bytes());
            assertArrayEquals(want, got, t.name() + " as " + t.type());
            long pad = (t.bytes() + 31) / 32 * 32 - t.bytes();
            assertArrayEquals(new byte[(int) pad], read(r.out(), g.dataOffset() + t.offset() + t.bytes(), pad), t.name() + " padding");
        }
        assertEquals(g.dataOffset() + plan.dataBytes(), Files.size(r.out()));
        assertEquals(Files.size(r.out()), r.bytes());
        assertEquals(plan.infos().size(), r.tensors());
        assertEquals(plan.sourceBytes(), r.sourceBytes());
        assertEquals(3, r.threads());
        assertTrue(redraws.get() > 0, "the progress bar moved");
    }

    @Test
    void llamaQAndKRowsAreReorderedForLlamaCppsRope() throws Exception {
        List<TinyModel.Src> src = TinyModel.tensors("LlamaForCausalLM", "F32");
        Path dir = model("Tiny-Llama", "LlamaForCausalLM", src);
        HfConverter.Options o = HfConverter.Options.builder(dir).outtype("f32").outfile(tmp.resolve("l.gguf")).build();
        Path out = Gguf.convert(context(quiet(() -> {})), o);
        GgufFile g = GgufReader.read(out);
        for (String which : List.of("q", "k")) {
            TinyModel.Src s = src.stream().filter(x -> x.name().endsWith("self_attn." + which + "_proj.weight")).findFirst().orElseThrow();
            int rows = (int) s.shape()[0];
            int[] order = LlamaArch.permutation(rows, which.equals("q") ? TinyModel.HEADS : TinyModel.KV_HEADS);
            float[] want = new float[s.values().length];
            for (int row = 0; row < rows; row++) System.arraycopy(s.values(), order[row] * TinyModel.HIDDEN, want, row * TinyModel.HIDDEN, TinyModel.HIDDEN);
            assertFalse(java.util.Arrays.equals(want, s.values()), "the order changes something");
            GgufTensorInfo t = g.tensor("blk.0.attn_" + which + ".weight");
            assertArrayEquals(TinyModel.expected(want, GgmlType.F32), read(out, g.dataOffset() + t.offset(), t.bytes()), which);
        }
        GgufTensorInfo v = g.tensor("blk.0.attn_v.weight");
        TinyModel.Src vs = src.stream().filter(x -> x.name().endsWith("v_proj.weight")).findFirst().orElseThrow();
        assertArrayEquals(TinyModel.expected(vs.values(), GgmlType.F32), read(out, g.dataOffset() + v.offset(), v.bytes()), "v stays");
    }

    @Test
    void anInterruptLeavesNoHalfWrittenFileAndKeepsAnEarlierOne() throws Exception {
        Path dir = model("Tiny-Qwen3", "Qwen3ForCausalLM", TinyModel.tensors("Qwen3ForCausalLM", "F32"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        Path target = out.resolve("t.gguf");
        Files.writeString(target, "an earlier conversion");
        HfConverter.Options o = HfConverter.Options.builder(dir).outtype("q8_0").outfile(target).threads(2).build();
        HfConverter.Plan plan = HfConverter.plan(o);
        Context[] ctx = new Context[1];
        AtomicLong updates = new AtomicLong();
        // the bar's first redraw after bytes were written stops the command, as an interrupt of the cell does
        ctx[0] = context(quiet(() -> {
            if (updates.incrementAndGet() == 1) ctx[0].cancel();
        }));
        long[] now = {0};
        Progress bar = new Progress(ctx[0].notebook(), "to-gguf", plan.sourceBytes(), Progress.Unit.BYTES,
                () -> now[0] += Progress.MIN_REDRAW_NANOS);
        assertThrows(Interrupted.class, () -> HfConverter.write(ctx[0], plan, o, bar));
        assertTrue(bar.done() > 0 && bar.done() < plan.sourceBytes(), "stopped part way: " + bar.done());
        assertEquals(List.of("t.gguf"), files(out), "no temporary file");
        assertEquals("an earlier conversion", Files.readString(target, StandardCharsets.UTF_8));
    }

    @Test
    void aSourceThatShrankAfterPlanningFailsAndLeavesNothing() throws Exception {
        Path dir = model("Tiny-Qwen3", "Qwen3ForCausalLM", TinyModel.tensors("Qwen3ForCausalLM", "F32"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        HfConverter.Options o = HfConverter.Options.builder(dir).outtype("f16").outfile(out.resolve("t.gguf")).build();
        HfConverter.Plan plan = HfConverter.plan(o);
        Path st = dir.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(st, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(st) / 2);
        }
        assertThrows(IOException.class, () -> HfConverter.write(context(quiet(() -> {})), plan, o, null));
        assertEquals(List.of(), files(out));
    }
}
