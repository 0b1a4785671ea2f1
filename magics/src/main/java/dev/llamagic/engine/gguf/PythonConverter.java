package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamagic.engine.build.Llama;
import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code --engine python}: runs llama.cpp's own convert_hf_to_gguf.py (for architectures llamagic does not
 * convert), when its source tree and Python packages are there. Progress is the temp output's size against
 * the expected size; the result is renamed into place only when the script succeeded.
 */
public final class PythonConverter {
    static final List<String> PACKAGES = List.of("torch", "transformers", "sentencepiece", "numpy");

    private PythonConverter() {}

    /** llama.cpp source trees to look in, in order. */
    static Path findSource(Context ctx, Path given) {
        List<Path> candidates = new ArrayList<>();
        if (given != null) {
            if (!Files.isRegularFile(given.resolve("convert_hf_to_gguf.py"))) {
                throw new UserError(given + " has no convert_hf_to_gguf.py (give the llama.cpp source directory)");
            }
            return given;
        }
        String env = ctx.env("LLAMAGIC_LLAMA_SRC");
        if (env != null && !env.isBlank()) candidates.add(Path.of(env));
        Path srcRoot = ctx.home().resolve("llama.cpp");
        if (Files.isDirectory(srcRoot)) {
            try (Stream<Path> s = Files.walk(srcRoot, 3)) {
                s.filter(p -> p.getFileName().toString().equals("convert_hf_to_gguf.py")).map(Path::getParent).forEach(candidates::add);
            } catch (IOException ignored) {
                // nothing there
            }
        }
        try {
            Path bin = Llama.latest(ctx).binDir();
            for (Path p = bin; p != null && candidates.size() < 20; p = p.getParent()) candidates.add(p);
        } catch (UserError ignored) {
            // no build: only the other places
        }
        for (Path c : candidates) if (Files.isRegularFile(c.resolve("convert_hf_to_gguf.py"))) return c;
        throw new UserError("--engine python needs llama.cpp's source (convert_hf_to_gguf.py): none found under "
                + srcRoot + "; pass --llama-src DIR");
    }

    public static Path convert(Context ctx, HfConverter.Options o, Path llamaSrc) throws IOException {
        Path dir = o.modelDir().toAbsolutePath().normalize();
        JsonNode cfg = HfConverter.config(dir);
        Path src = findSource(ctx, llamaSrc);
        Path python = ChildProcess.which("python3", ctx.env());
        if (python == null) throw new UserError("--engine python needs python3 on PATH");
        ChildProcess.Result probe = ChildProcess.run(List.of(python.toString(), "-c",
                "import importlib.util as u; print(' '.join(m for m in " + pyList(PACKAGES) + " if u.find_spec(m) is None))"),
                src, Duration.ofSeconds(60));
        String missing = probe.output().strip();
        if (!probe.ok() || !missing.isEmpty()) {
            throw new UserError("--engine python needs the Python packages " + String.join(", ", PACKAGES) + " (missing: "
                    + (missing.isEmpty() ? "python3 failed" : missing) + "): pip install -r "
                    + src.resolve("requirements/requirements-convert_hf_to_gguf.txt"));
        }
        Safetensors st = Safetensors.open(dir);
        GgmlType type = HfConverter.outtype(o.outtype(), st);
        long params = st.tensors().stream().mapToLong(Safetensors.Tensor::elements).sum();
        long expected = st.tensors().stream().mapToLong(t -> t.shape().length <= 1 ? t.elements() * 4 : type.bytes(t.elements())).sum();
        ModelName names = ModelName.derive(cfg.path("_name_or_path").asText(null), dir.getFileName().toString(), params);
        Path out = HfConverter.outputPath(dir, o.outfile(), names, type.name());
        Path tmp = out.resolveSibling(out.getFileName() + HfConverter.TMP_SUFFIX);
        List<String> cmd = List.of(python.toString(), src.resolve("convert_hf_to_gguf.py").toString(), dir.toString(),
                "--outtype", o.outtype().toLowerCase(Locale.ROOT), "--outfile", tmp.toString());
        Path log = ctx.logs().resolve("to-gguf-python.log");
        boolean ok = false;
        try (Progress bar = ctx.notebook().progress("convert_hf_to_gguf.py " + out.getFileName(), expected, Progress.Unit.BYTES);
             ChildProcess p = ChildProcess.start(cmd, src, Map.of(), log, line -> { })) {
            Thread poll = new Thread(() -> {
                while (p.isAlive()) {
                    try {
                        if (Files.exists(tmp)) bar.set(Files.size(tmp));
                        Thread.sleep(300);
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            }, "llamagic-to-gguf-poll");
            poll.setDaemon(true);
            poll.start();
            int rc = p.waitFor(ctx, null);
            if (rc != 0) {
                List<String> tail = p.tail(1);
                bar.fail("exit " + rc);
                throw new UserError("convert_hf_to_gguf.py failed (exit " + rc + "): "
                        + (tail.isEmpty() ? "" : tail.get(0)) + " (log: " + log + ")");
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            ok = true;
            bar.finish(Units.bytes(Files.size(out)) + " written");
        } finally {
            if (!ok) Files.deleteIfExists(tmp);
        }
        return out;
    }

    private static String pyList(List<String> l) {
        return "[" + String.join(", ", l.stream().map(s -> "'" + s + "'").toList()) + "]";
    }
}
