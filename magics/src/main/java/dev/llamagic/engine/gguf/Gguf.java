package dev.llamagic.engine.gguf;

import dev.llamagic.core.Context;
import dev.llamagic.core.Progress;
import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The GGUF engine from plain Java in a cell:
 * <pre>
 * var ctx = dev.llamagic.kernel.Cell.context();
 * Path gguf = Gguf.convert(ctx, HfConverter.Options.builder(Path.of("/mnt/workspace/Qwen3-4B")).outtype("f16").build());
 * GgufFile info = Gguf.read(gguf);
 * </pre>
 */
public final class Gguf {
    private Gguf() {}

    /** Converts a Hugging Face model directory; shows a progress bar; returns the GGUF written. */
    public static Path convert(Context ctx, HfConverter.Options options) throws IOException {
        return convertWithResult(ctx, options).out();
    }

    public static HfConverter.Result convertWithResult(Context ctx, HfConverter.Options options) throws IOException {
        HfConverter.Plan plan = HfConverter.plan(options);
        HfConverter.checkDisk(plan, options, 0);
        try (Progress bar = ctx.notebook().progress("to-gguf " + plan.out().getFileName(), plan.sourceBytes(), Progress.Unit.BYTES)) {
            HfConverter.Result r = HfConverter.write(ctx, plan, options, bar);
            bar.finish(Units.bytes(r.bytes()) + " written");
            return r;
        }
    }

    /**
     * Converts a Hugging Face model directory and, for a vision-language model, its projector too
     * ({@code mmproj-*.gguf}, for the server's multimodal projector option): the language model's result first.
     */
    public static java.util.List<HfConverter.Result> convertAll(Context ctx, HfConverter.Options options) throws IOException {
        HfConverter.Plan text = HfConverter.plan(options);
        HfConverter.Plan mmproj = MmprojConverter.plan(options);
        HfConverter.checkDisk(text, options, 0);
        if (mmproj != null) HfConverter.checkDisk(mmproj, options, 0);
        java.util.List<HfConverter.Result> results = new java.util.ArrayList<>();
        for (HfConverter.Plan plan : mmproj == null ? java.util.List.of(text) : java.util.List.of(text, mmproj)) {
            try (Progress bar = ctx.notebook().progress("to-gguf " + plan.out().getFileName(), plan.sourceBytes(), Progress.Unit.BYTES)) {
                HfConverter.Result r = HfConverter.write(ctx, plan, options, bar);
                bar.finish(Units.bytes(r.bytes()) + " written");
                results.add(r);
            }
        }
        return results;
    }

    /** The projector GGUF of a vision-language model's directory, without writing anything; null for a text model. */
    public static HfConverter.Plan planProjector(HfConverter.Options options) throws IOException {
        return MmprojConverter.plan(options);
    }

    /** The header of a GGUF file: metadata and tensor infos. */
    public static GgufFile read(Path gguf) throws IOException {
        return GgufReader.read(gguf);
    }
}
