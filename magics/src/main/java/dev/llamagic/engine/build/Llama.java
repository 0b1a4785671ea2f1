package dev.llamagic.engine.build;

import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finding llama.cpp builds. Builds live under {@code <LLAMAGIC_HOME>/llama.cpp/builds/<key>/}. */
public final class Llama {
    private Llama() {}

    /** Env var naming a directory of already-built llama.cpp binaries to use instead of llamagic's builds. */
    public static final String BIN_ENV = "LLAMAGIC_LLAMA_BIN";

    public static Path buildsDir(Context ctx) {
        return ctx.home().resolve("llama.cpp").resolve("builds");
    }

    /**
     * Builds llama.cpp as {@code %build-llama} does (or answers from the cache), with its progress bar and a
     * summary line in the context's notebook, and returns the verified install:
     * {@code Llama.build(Cell.context(), BuildOptions.defaults().cpu())}. {@link LlamaBuilder#build} gives the
     * whole {@link LlamaBuilder.Result} (cached or not, timing, verification details) without printing it.
     */
    public static LlamaInstall build(Context ctx, BuildOptions options) throws IOException {
        LlamaBuilder.Result r = new LlamaBuilder(ctx).build(options);
        ctx.notebook().print(r.summary());
        return r.install();
    }

    /** {@link #build(Context, BuildOptions)} with the defaults: upstream, pinned release, CUDA when possible. */
    public static LlamaInstall build(Context ctx) throws IOException {
        return build(ctx, BuildOptions.defaults());
    }

    /** Every verified build, newest first. */
    public static List<LlamaInstall> installs(Context ctx) {
        Path builds = buildsDir(ctx);
        if (!Files.isDirectory(builds)) return List.of();
        try (Stream<Path> dirs = Files.list(builds)) {
            return dirs.map(d -> d.resolve(LlamaInstall.MARKER)).filter(Files::isRegularFile).map(f -> {
                try {
                    return Optional.of(LlamaInstall.read(f));
                } catch (IOException e) {
                    return Optional.<LlamaInstall>empty();
                }
            }).flatMap(Optional::stream).sorted(Comparator.comparing(LlamaInstall::builtAt).reversed()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The build later commands use: {@code LLAMAGIC_LLAMA_BIN} if set, else the newest verified build.
     * Fails in one line saying how to get one.
     */
    public static LlamaInstall latest(Context ctx) {
        String bin = ctx.env(BIN_ENV);
        if (bin != null && !bin.isBlank()) {
            Path dir = Path.of(bin).toAbsolutePath();
            if (!Files.isDirectory(dir)) throw new UserError(BIN_ENV + "=" + bin + " is not a directory");
            return new LlamaInstall(dir, "unknown", "unknown", "", List.of(), "env:" + dir, Instant.EPOCH);
        }
        List<LlamaInstall> all = installs(ctx);
        if (all.isEmpty()) {
            throw new UserError("no llama.cpp build found under " + buildsDir(ctx)).hint("build-first");
        }
        // a cross-built CUDA build's first use on a GPU completes its device check
        return DeviceCheck.completeIfDue(ctx, all.get(0));
    }
}
