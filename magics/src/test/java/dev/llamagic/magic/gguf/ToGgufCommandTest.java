package dev.llamagic.magic.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.gguf.ConvertError;
import dev.llamagic.engine.gguf.TinyModel;
import dev.llamagic.magic.Commands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code %to-gguf} through {@link Commands#run}: the table, and its one-line errors in the command's own terms. */
class ToGgufCommandTest {
    @TempDir
    Path tmp;

    RecordingNotebook nb = new RecordingNotebook();

    void run(String... args) {
        Context ctx = new Context(nb, Map.of("LLAMAGIC_HOME", tmp.resolve("home").toString()), "test", null);
        Commands.run(Commands.find("to-gguf"), List.of(args), null, ctx);
    }

    String error(String... args) {
        return assertThrows(UserError.class, () -> run(args)).getMessage();
    }

    static List<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void convertsAndShowsWhatItWrote() throws Exception {
        Path dir = TinyModel.write(tmp.resolve("Tiny"), "Qwen3ForCausalLM", TinyModel.tensors("Qwen3ForCausalLM", "F32"));
        Path out = tmp.resolve("out/t-{ftype}.gguf");
        run(dir.toString(), "--outtype", "q8_0", "--outfile", out.toString());
        assertEquals(List.of("t-q8_0.gguf"), files(tmp.resolve("out")));
        String table = String.join("\n", nb.blocks);
        assertTrue(table.contains(tmp.resolve("out/t-q8_0.gguf").toString()) && table.contains("Q8_0") && table.contains("peak memory"), table);
    }

    @Test
    void errorsNameTheFlagsThatHelp() throws Exception {
        Path dir = TinyModel.write(tmp.resolve("Tiny"), "Qwen3ForCausalLM", TinyModel.tensors("Qwen3ForCausalLM", "F32"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertEquals("%to-gguf: unknown --outtype q4 (f32, f16, bf16, q8_0 or auto)", error(dir.toString(), "--outtype", "q4"));
        String disk = error(dir.toString(), "--outfile", out.resolve("x.gguf").toString(), "--keep-free", "1000000T");
        assertTrue(disk.startsWith("%to-gguf: not enough disk space in " + out + ": the GGUF needs "), disk);
        assertTrue(disk.endsWith(" are free: free some space or pass --outfile on another disk"), disk);

        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        cfg.putArray("architectures").add("FancyNewForCausalLM");
        json.writeValue(dir.resolve("config.json").toFile(), cfg);
        assertEquals("%to-gguf: architecture FancyNewForCausalLM is not converted by llamagic itself (it converts Qwen3ForCausalLM,"
                        + " Qwen2ForCausalLM, LlamaForCausalLM, Qwen2_5_VLForConditionalGeneration, Qwen2VLForConditionalGeneration, Qwen3VLForConditionalGeneration); try --engine python, which runs llama.cpp's convert_hf_to_gguf.py",
                error(dir.toString(), "--outfile", out.resolve("x.gguf").toString()));

        List<TinyModel.Src> tensors = new ArrayList<>(TinyModel.tensors("Qwen3ForCausalLM", "F32"));
        tensors.add(new TinyModel.Src("model.extra.positions", new long[] {4}, "I64", new float[4]));
        Path i64 = TinyModel.write(tmp.resolve("I64"), "Qwen3ForCausalLM", tensors);
        assertEquals("%to-gguf: tensor model.extra.positions in model.safetensors has dtype I64, which llamagic does not convert"
                + " (F32, F16 and BF16 only; try --engine python)", error(i64.toString(), "--outfile", out.resolve("x.gguf").toString()));
        assertEquals(List.of(), files(out), "nothing written");
    }

    @Test
    void everyReasonHasAdvice() {
        for (ConvertError.Reason r : ConvertError.Reason.values()) {
            assertTrue(ToGgufCommand.advice(r).contains("--"), r.name());
        }
    }
}
