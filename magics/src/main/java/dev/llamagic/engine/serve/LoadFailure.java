package dev.llamagic.engine.serve;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Why llama-server exited while loading: the model, the exit code, a short phrase read off its last log lines
 * (null when they say nothing recognisable), the lines worth showing, and the full log.
 */
public record LoadFailure(String model, Integer exitCode, String reason, List<String> lines, Path log) {
    public LoadFailure {
        lines = List.copyOf(lines);
    }

    /** What {@code server} left behind: its last output, read once it has exited. */
    static LoadFailure of(LlamaServer server) {
        List<String> tail = server.tail(200);
        Integer code = server.exitCode();
        return new LoadFailure(server.modelPath().getFileName().toString(), code, reason(tail, code), relevant(tail, 15),
                server.logFile());
    }

    /** One line: {@code llama-server exited while loading M (exit code N): reason}. */
    public String headline() {
        return "llama-server exited while loading " + model + " (exit code " + exitCode + ")" + (reason == null ? "" : ": " + reason);
    }

    /** The same failure with another reason. */
    public LoadFailure withReason(String newReason) {
        return new LoadFailure(model, exitCode, newReason, lines, log);
    }

    /** The failure as the exception {@link Servers#start} throws. */
    public Failed error() {
        return new Failed(this);
    }

    /** Thrown when the server exits while loading; {@link #failure()} holds the details to show. */
    public static final class Failed extends ServeError {
        private final LoadFailure failure;

        Failed(LoadFailure f) {
            super(Kind.OTHER, f.model(), f.headline() + " (log: " + f.log() + ")");
            this.failure = f;
        }

        public LoadFailure failure() {
            return failure;
        }
    }

    private static final String[][] CAUSES = {
            {"cudamalloc failed", "out of GPU memory"},
            {"out of memory", "out of memory"},
            {"failed to allocate", "out of memory (a buffer could not be allocated)"},
            {"unable to allocate", "out of memory (a buffer could not be allocated)"},
            {"std::bad_alloc", "out of memory"},
            {"unknown model architecture", "unsupported model architecture"},
            {"no kernel image is available", "the GPU's architecture is not in this build (rebuild llama.cpp for this GPU)"},
            {"unsupported gpu architecture", "the GPU's architecture is not in this build (rebuild llama.cpp for this GPU)"},
            {"invalid magic", "not a valid GGUF file"},
            {"failed to read magic", "not a valid GGUF file"},
            {"gguf_init_from_file", "a damaged or unreadable GGUF file"},
            {"tensor data is not within the file bounds", "a truncated GGUF file (an interrupted download?)"},
            {"wrong number of tensors", "a damaged GGUF file"},
            {"couldn't bind", "the port is already in use"},
            {"address already in use", "the port is already in use"},
            {"unknown value for", "a flag got a value it does not accept"},
            {"invalid argument", "an invalid command-line argument"},
            {"error while handling argument", "an invalid command-line argument"},
            {"illegal instruction", "the CPU lacks an instruction this build uses (build with GGML_NATIVE=OFF)"},
            {"failed to load model", "the model failed to load"},
    };

    /** A phrase naming the cause, or null when the lines say nothing recognisable. */
    public static String reason(List<String> lines, Integer exitCode) {
        for (String[] c : CAUSES) {
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i).toLowerCase(Locale.ROOT);
                if (l.contains(c[0])) {
                    String arch = c[0].equals("unknown model architecture") ? archOf(lines.get(i)) : "";
                    return c[1] + arch;
                }
            }
        }
        if (exitCode != null) {
            if (exitCode == 132 || exitCode == -4) return "illegal instruction (the CPU lacks an instruction this build uses)";
            if (exitCode == 137 || exitCode == 9) return "killed (SIGKILL: out of memory?)";
            if (exitCode == 139 || exitCode == 11) return "crashed (segmentation fault)";
        }
        return null;
    }

    private static String archOf(String line) {
        int q = line.indexOf('\'');
        int e = q < 0 ? -1 : line.indexOf('\'', q + 1);
        return q >= 0 && e > q ? ": '" + line.substring(q + 1, e) + "'" : "";
    }

    /** The lines worth showing: the last {@code n}, skipping llama.cpp's long per-tensor listings. */
    public static List<String> relevant(List<String> lines, int n) {
        List<String> kept = lines.stream()
                .filter(l -> !l.startsWith("llama_model_loader: - kv") && !l.startsWith("llama_model_loader: - type")
                        && !l.startsWith("print_info:"))
                .toList();
        return kept.subList(Math.max(0, kept.size() - n), kept.size());
    }
}
