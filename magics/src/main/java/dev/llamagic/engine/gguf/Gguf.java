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
     * The two files are written at the same time (each reads its own tensors of the same shards), so the
     * projector's many small tensors overlap the model's large ones instead of costing a second pass. Each file
     * goes through its own temporary file: when one fails, the other still finishes (or is stopped by an
     * interrupt) and the first failure is reported.
     */
    public static java.util.List<HfConverter.Result> convertAll(Context ctx, HfConverter.Options options) throws IOException {
        HfConverter.Plan text = HfConverter.plan(options);
        HfConverter.Plan mmproj = MmprojConverter.plan(options);
        HfConverter.checkDisk(text, options, 0);
        if (mmproj == null) return java.util.List.of(convertPlanned(ctx, text, options, bar(ctx, text)));
        HfConverter.checkDisk(mmproj, options, 0);
        // written at the same time into one folder: the two together must fit
        HfConverter.checkDisk(text, options, mmproj.dataBytes());
        Progress textBar = bar(ctx, text);
        Progress projBar = bar(ctx, mmproj);
        java.util.concurrent.ExecutorService files = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "llamagic-to-gguf-file");
            t.setDaemon(true);
            return t;
        });
        try {
            java.util.List<java.util.concurrent.Future<HfConverter.Result>> jobs = java.util.List.of(
                    files.submit(() -> convertPlanned(ctx, text, options, textBar)),
                    files.submit(() -> convertPlanned(ctx, mmproj, options, projBar)));
            java.util.List<HfConverter.Result> results = new java.util.ArrayList<>();
            Throwable first = null;
            boolean interrupted = false;
            for (java.util.concurrent.Future<HfConverter.Result> job : jobs) {
                while (true) {
                    try {
                        results.add(job.get(100, java.util.concurrent.TimeUnit.MILLISECONDS));
                        break;
                    } catch (java.util.concurrent.TimeoutException e) {
                        if (ctx.cancelled() && !interrupted) interrupted = true;
                    } catch (InterruptedException e) {
                        ctx.cancel(); // both conversions stop and remove their temporary files
                        interrupted = true;
                    } catch (java.util.concurrent.ExecutionException e) {
                        if (first == null) first = e.getCause();
                        break;
                    }
                }
            }
            if (interrupted || first instanceof dev.llamagic.core.Interrupted) throw new dev.llamagic.core.Interrupted();
            if (first instanceof IOException io) throw io;
            if (first instanceof RuntimeException re) throw re;
            if (first != null) throw new IOException(first);
            return results;
        } finally {
            files.shutdownNow();
        }
    }

    private static Progress bar(Context ctx, HfConverter.Plan plan) {
        return ctx.notebook().progress("to-gguf " + plan.out().getFileName(), plan.sourceBytes(), Progress.Unit.BYTES);
    }

    private static HfConverter.Result convertPlanned(Context ctx, HfConverter.Plan plan, HfConverter.Options options,
                                                     Progress bar) throws IOException {
        try (bar) {
            HfConverter.Result r = HfConverter.write(ctx, plan, options, bar);
            bar.finish(Units.bytes(r.bytes()) + " written");
            return r;
        }
    }

    /** The header of a GGUF file: metadata and tensor infos. */
    public static GgufFile read(Path gguf) throws IOException {
        return GgufReader.read(gguf);
    }
}
