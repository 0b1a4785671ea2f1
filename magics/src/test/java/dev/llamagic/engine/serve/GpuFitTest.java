package dev.llamagic.engine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The GPU options: their checks, and their flags against the real llama-server --help (de3ff81) and an older one. */
class GpuFitTest {

    static final String OLDER = String.join("\n",
            "-m,    --model FNAME                    model path",
            "--host HOST                             ip address to listen (default: 127.0.0.1)",
            "--port PORT                             port to listen (default: 8080)",
            "-sm,   --split-mode {none,layer,row}    how to split the model across multiple GPUs",
            "-ctk,  --cache-type-k TYPE              KV cache data type for K",
            "                                        allowed values: f32, f16, bf16, q8_0, q4_0",
            "                                        (default: f16)",
            "-ctv,  --cache-type-v TYPE              KV cache data type for V",
            "                                        allowed values: f32, f16, q8_0",
            "-md,   --model-draft FNAME              draft model for speculative decoding (default: unused)",
            "--draft-max, --draft, --draft-n N       number of tokens to draft for speculative decoding (default: 16)",
            "-ngl,  --gpu-layers, --n-gpu-layers N   number of layers to store in VRAM",
            "");

    @Test
    void checksSayWhatIsWrongWithAValue() {
        assertNull(GpuFit.gpusProblem("0,1"));
        assertNull(GpuFit.gpusProblem("0, 1"));
        assertEquals("0,1", GpuFit.gpusText(" 0, 1 "));
        assertEquals("takes GPU numbers separated by commas, e.g. 0,1 (not 'a')", GpuFit.gpusProblem("a"));
        assertEquals("names GPU 1 twice ('1,1')", GpuFit.gpusProblem("1,1"));
        assertNull(GpuFit.tensorSplitProblem("3,1"));
        assertNull(GpuFit.tensorSplitProblem("0.6,0.4"));
        assertEquals("takes proportions per GPU separated by commas, e.g. 3,1 (not '3;1')", GpuFit.tensorSplitProblem("3;1"));
        assertEquals("takes proportions per GPU separated by commas, e.g. 3,1 (not '-1,2')", GpuFit.tensorSplitProblem("-1,2"));
        assertEquals("needs at least one proportion above 0 (not '0,0')", GpuFit.tensorSplitProblem("0,0"));
        assertNull(GpuFit.splitModeProblem("tensor"));
        assertEquals("takes none, layer, row, tensor (not 'rows')", GpuFit.splitModeProblem("rows"));
        assertNull(GpuFit.cacheTypeProblem("q8_0"));
        assertNull(GpuFit.cacheTypeProblem("Q8_0,q4_0"));
        assertEquals("takes f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1 (not 'q3_k')", GpuFit.cacheTypeProblem("q3_k"));
        assertEquals("takes a type for K and V, e.g. q8_0 or q8_0,q8_0 (not 'f16,f16,f16')", GpuFit.cacheTypeProblem("f16,f16,f16"));
        assertEquals("must be 1 or more (not 0)", GpuFit.positiveProblem(0));
        assertTrue(GpuFit.quantized("q4_0"));
        assertFalse(GpuFit.quantized("bf16"));
    }

    @Test
    void theJavaDoorIsCheckedToo() {
        ServerSpec.Builder b = ServerSpec.builder(Path.of("m.gguf"));
        UserError e = assertThrows(UserError.class, () -> GpuFit.check(b.tensorSplit("x").build()));
        assertEquals("tensor split takes proportions per GPU separated by commas, e.g. 3,1 (not 'x')", e.getMessage());
        e = assertThrows(UserError.class, () -> GpuFit.check(ServerSpec.builder(Path.of("m.gguf")).cacheType("f16", "q8_0").flashAttention("off").build()));
        assertEquals("a quantized V cache (q8_0) needs flash attention, which is off", e.getMessage());
    }

    @Test
    void flagsOfTheRealBinary() throws Exception {
        ServerFlags f = ServerFlags.parse(ServerFlagsTest.help(), "Available devices:\n  CUDA0: NVIDIA A10 (23028 MiB, 22000 MiB free)\n");
        ServerSpec spec = ServerSpec.builder(Path.of("m.gguf")).port(1).splitMode("tensor").tensorSplit("3,1").cacheType("q8_0", "q4_0")
                .fit(true).draftModel(Path.of("d.gguf")).draftMax(8).mmproj(Path.of("mmproj-F16.gguf")).parallel(4).gpus("0, 1").build();
        List<String> notes = new ArrayList<>();
        List<String> argv = f.argv(spec, notes);
        for (List<String> pair : List.of(List.of("-sm", "tensor"), List.of("-ts", "3,1"), List.of("-ctk", "q8_0"), List.of("-ctv", "q4_0"),
                List.of("-fit", "on"), List.of("-md", "d.gguf"), List.of("--spec-draft-n-max", "8"), List.of("-mm", "mmproj-F16.gguf"),
                List.of("-np", "4"))) {
            assertTrue(Collections.indexOfSubList(argv, pair) >= 0, pair + " in " + argv);
        }
        assertEquals(List.of(), notes);
        assertTrue(GpuFit.fitsItself(f));
        assertEquals(Map.of("CUDA_VISIBLE_DEVICES", "0,1"), f.env(spec));
    }

    @Test
    void anOlderBinary() {
        ServerFlags f = ServerFlags.parse(OLDER, null);
        assertFalse(GpuFit.fitsItself(f));
        List<String> notes = new ArrayList<>();
        List<String> argv = f.argv(ServerSpec.builder(Path.of("m.gguf")).port(1).fit(true).draftModel(Path.of("d.gguf")).draftMax(16)
                .tensorSplit("1,1").build(), notes);
        assertFalse(argv.contains("-fit"));
        assertTrue(Collections.indexOfSubList(argv, List.of("--draft-max", "16")) >= 0, argv.toString());
        assertTrue(Collections.indexOfSubList(argv, List.of("-md", "d.gguf")) >= 0, argv.toString());
        assertEquals(List.of("tensor split (-ts 1,1) left out: this llama-server does not know -ts"), notes);
        UserError e = assertThrows(UserError.class, () -> f.argv(ServerSpec.builder(Path.of("m.gguf")).port(1).splitMode("tensor").build(), new ArrayList<>()));
        assertEquals("split mode 'tensor' is not accepted by this llama-server (-sm takes none|layer|row)", e.getMessage());
        e = assertThrows(UserError.class, () -> f.argv(ServerSpec.builder(Path.of("m.gguf")).port(1).cacheType("q4_0", "q4_0").build(), new ArrayList<>()));
        assertEquals("KV cache type 'q4_0' for V is not accepted by this llama-server (-ctv takes f32, f16, q8_0)", e.getMessage());
    }

    @Test
    void allowedValuesAreReadOffTheHelp() {
        assertEquals(List.of("f32", "f16", "q8_0"), GpuFit.allowedValues("KV cache data type for V allowed values: f32, f16, q8_0 (default: f16)"));
        assertEquals(List.of(), GpuFit.allowedValues("no list"));
    }
}
