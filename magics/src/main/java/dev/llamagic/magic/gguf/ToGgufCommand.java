package dev.llamagic.magic.gguf;

import dev.llamagic.engine.gguf.ConvertError;
import dev.llamagic.engine.gguf.Gguf;
import dev.llamagic.engine.gguf.HfConverter;
import dev.llamagic.engine.gguf.ModelName;
import dev.llamagic.engine.gguf.PythonConverter;

import dev.llamagic.magic.Commands;
import dev.llamagic.magic.MagicCommand;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Units;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "to-gguf", mixinStandardHelpOptions = true,
        description = {"Converts a Hugging Face model directory (safetensors) to GGUF in Java, like convert_hf_to_gguf.py (Qwen3, Qwen2/2.5, Llama 2/3.x; Qwen2-VL/2.5-VL and Qwen3-VL with their mmproj projector).",
                "把 Hugging Face 模型目录（safetensors）转换为 GGUF（纯 Java，与 convert_hf_to_gguf.py 结果一致；支持 Qwen3、Qwen2/2.5、Llama 2/3.x；Qwen2-VL/2.5-VL、Qwen3-VL 同时生成 mmproj 视觉投影文件）。"})
public class ToGgufCommand extends MagicCommand {

    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "the model directory (config.json, tokenizer.json or Llama's tokenizer.model, *.safetensors)")
    Path model;

    @Option(names = "--outtype", paramLabel = "TYPE", defaultValue = "auto",
            description = "f32, f16, bf16, q8_0 or auto (bf16 for a bf16 model, else f16), as llama.cpp; default ${DEFAULT-VALUE}")
    String outtype;

    @Option(names = "--outfile", paramLabel = "FILE",
            description = "where to write (default: <Name>-<TYPE>.gguf inside MODEL_DIR, as llama.cpp names it; {ftype} is replaced)")
    Path outfile;

    @Option(names = "--engine", paramLabel = "java|python", defaultValue = "java",
            description = "java (default) or python: run llama.cpp's convert_hf_to_gguf.py for architectures llamagic does not convert")
    String engine;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "conversion threads (default: CPU cores, at most 4: more add memory, not speed)")
    int threads;

    @Option(names = "--keep-free", paramLabel = "SIZE", defaultValue = "0",
            description = "refuse to start unless SIZE stays free on the output disk after writing (e.g. 2G)")
    String keepFree;

    @Option(names = "--llama-src", paramLabel = "DIR", description = "llama.cpp source tree for --engine python")
    Path llamaSrc;

    @Override
    protected void run() throws Exception {
        String prefix = Commands.prefix("to-gguf", body, ctx);
        long keep;
        try {
            keep = parseSize(keepFree);
        } catch (NumberFormatException e) {
            throw new UserError(prefix + ": --keep-free " + keepFree + " is not a size (like 500M or 2G)");
        }
        if (!HfConverter.OUTTYPES.contains(outtype.toLowerCase(Locale.ROOT))) {
            throw new UserError(prefix + ": unknown --outtype " + outtype + " (" + HfConverter.OUTTYPE_NAMES + ")");
        }
        HfConverter.Options o = HfConverter.Options.builder(model).outtype(outtype).outfile(outfile).threads(threads)
                .keepFree(keep).build();
        // engine errors and interrupts get the command's name in Commands.run
        switch (engine.toLowerCase(Locale.ROOT)) {
            case "java" -> {
                try {
                    for (HfConverter.Result r : Gguf.convertAll(ctx, o)) report(r);
                } catch (ConvertError e) {
                    throw new UserError(prefix + ": " + e.withAdvice(advice(e.reason())), e);
                }
            }
            case "python" -> {
                Path written = PythonConverter.convert(ctx, o, llamaSrc);
                out.print("wrote " + written + " (" + Units.bytes(java.nio.file.Files.size(written)) + ") with convert_hf_to_gguf.py");
            }
            default -> throw new UserError(prefix + ": --engine " + engine + " is not java or python");
        }
    }

    /** What the user can do instead, in this command's flags, where the engine's message leaves room for it. */
    static String advice(ConvertError.Reason reason) {
        return switch (reason) {
            case ARCHITECTURE -> "; try --engine python, which runs llama.cpp's convert_hf_to_gguf.py";
            case TENSOR -> " (convert this model with --engine python)";
            case ROPE_SCALING -> " (use --engine python)";
            case DTYPE -> "; try --engine python";
            case NO_TOKENIZER -> "; for other tokenizers use --engine python";
            case NOT_BPE -> "; use --engine python";
            case PRE_TOKENIZER -> "; convert this model with --engine python";
            case DISK -> " or pass --outfile on another disk";
        };
    }

    private void report(HfConverter.Result r) {
        Table t = Table.create("to-gguf", StringColumn.create("what"), StringColumn.create("value"));
        row(t, "output", r.out().toString());
        row(t, "type", r.outputType());
        row(t, "tensors", String.valueOf(r.tensors()));
        row(t, "parameters", String.format(Locale.ROOT, "%,d (%s)", r.parameters(), ModelName.sizeLabel(r.parameters())));
        row(t, "size", Units.bytes(r.bytes()) + " (from " + Units.bytes(r.sourceBytes()) + " of safetensors)");
        row(t, "time", Units.duration(r.seconds()) + " (" + Units.bytes((long) (r.sourceBytes() / Math.max(1e-9, r.seconds()))) + "/s read)");
        row(t, "threads", String.valueOf(r.threads()));
        row(t, "peak memory", "conversion buffers " + Units.bytes(r.peakBuffers()) + " · JVM heap in use "
                + Units.bytes(r.peakHeap()) + (r.peakRss() > 0 ? " · process peak RSS " + Units.bytes(r.peakRss()) : ""));
        out.table(t);
    }

    private static void row(Table t, String k, String v) {
        t.stringColumn(0).append(k);
        t.stringColumn(1).append(v);
    }

    /** 500M, 2G, 1.5T, 1024 (bytes); 0 is allowed (the --keep-free default). */
    public static long parseSize(String s) {
        return Units.parseBytes(s);
    }
}
