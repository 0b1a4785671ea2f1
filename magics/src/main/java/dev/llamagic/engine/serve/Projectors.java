package dev.llamagic.engine.serve;

import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.build.Llama;
import dev.llamagic.engine.gguf.GgufFile;
import dev.llamagic.engine.gguf.GgufReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Multimodal projectors ({@code mmproj-*.gguf}, GGUF architecture {@code clip}) for vision-language models: the one
 * lying beside a model, whether a projector fits a model (its projection width is the model's embedding width),
 * and whether the installed llama-server can load one.
 */
public final class Projectors {
    private Projectors() {}

    /** The llama.cpp architectures of vision-language models whose images need a projector. */
    public static final Set<String> VISION_ARCHITECTURES = Set.of("qwen2vl", "qwen3vl", "qwen3vlmoe");

    /** Preferred projector types when several lie beside a model. */
    private static final List<String> PREFERENCE = List.of("F16", "BF16", "Q8_0", "F32");

    /** The {@code mmproj*.gguf} files in the model's directory, the preferred first (F16, then BF16, Q8_0, F32). */
    public static List<Path> beside(Path model) {
        Path dir = model.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(Projectors::looksLikeProjector)
                    .sorted(Comparator.comparingInt(Projectors::rank).thenComparing(Path::toString)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Whether a file name is a projector's ({@code mmproj*.gguf}, any case). */
    public static boolean looksLikeProjector(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".gguf") && n.contains("mmproj");
    }

    private static int rank(Path p) {
        String n = p.getFileName().toString().toUpperCase(Locale.ROOT);
        for (int i = 0; i < PREFERENCE.size(); i++) if (n.contains(PREFERENCE.get(i))) return i;
        return PREFERENCE.size();
    }

    /** The model's GGUF architecture, or null when its header cannot be read. */
    public static String architecture(Path model) {
        try {
            return GgufReader.read(model).architecture();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether the model is a vision-language model (its images need a projector). */
    public static boolean isVisionModel(Path model) {
        String a = architecture(model);
        return a != null && VISION_ARCHITECTURES.contains(a);
    }

    /** The projector beside a model that fits it, or null. */
    public static Path besideMatching(Path model) {
        for (Path p : beside(model)) {
            try {
                check(p, model);
                return p;
            } catch (UserError e) {
                // another projector (another model's, or not one at all)
            }
        }
        return null;
    }

    /**
     * Fails in one line unless {@code projector} is a projector GGUF for {@code model}: a readable GGUF of
     * architecture {@code clip} with a vision encoder whose projection width is the model's embedding width.
     */
    public static void check(Path projector, Path model) {
        if (!Files.isRegularFile(projector)) throw new UserError("no such file: " + projector.toAbsolutePath());
        GgufFile p;
        try {
            p = GgufReader.read(projector);
        } catch (IOException | RuntimeException e) {
            throw new UserError(projector + " is not a GGUF file: " + e.getMessage());
        }
        if (!"clip".equals(p.architecture())) {
            throw new UserError(projector.getFileName() + " is not a multimodal projector (its architecture is "
                    + p.architecture() + ", a projector's is clip)");
        }
        if (p.get("clip.has_vision_encoder") == null || p.get("clip.has_vision_encoder").asLong() == 0) {
            throw new UserError(projector.getFileName() + " has no vision encoder (it cannot read images)");
        }
        GgufFile m;
        try {
            m = GgufReader.read(model);
        } catch (IOException | RuntimeException e) {
            return; // the model's own errors are said when it loads
        }
        long width = m.number(m.architecture() + ".embedding_length", -1);
        long projected = p.number("clip.vision.projection_dim", -1);
        if (width > 0 && projected > 0 && width != projected) {
            throw new UserError("the projector " + projector.getFileName() + " does not match the model " + model.getFileName()
                    + ": it makes " + projected + "-wide image embeddings, the model's are " + width + " wide (use the mmproj file made with this model)");
        }
    }

    /** Whether the installed llama-server (the latest build) loads projectors (its --help lists the option). */
    public static boolean serverSupports(Context ctx) {
        Path binary = Llama.latest(ctx).binary("llama-server");
        return ServerFlags.probe(ctx, binary).knows("--mmproj");
    }
}
