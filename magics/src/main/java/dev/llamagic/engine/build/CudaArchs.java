package dev.llamagic.engine.build;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CUDA architectures as users write them: numbers ({@code 86}, {@code 8.6}, {@code sm_86}, {@code 86-real}) or GPU
 * names ({@code a10}, {@code t4}, {@code v100}, {@code a100}, {@code h100}, ...), in a list separated by commas,
 * semicolons or spaces; turned into CMAKE_CUDA_ARCHITECTURES entries ("86", "86-real").
 */
public final class CudaArchs {
    private CudaArchs() {}

    /** GPU names (lower case) and their CMake architecture: the PAI-DSW GPUs and the usual data-center ones. */
    static final Map<String, String> NAMES = Map.ofEntries(
            Map.entry("p4", "61"), Map.entry("p40", "61"), Map.entry("p100", "60"),
            Map.entry("v100", "70"), Map.entry("t4", "75"),
            Map.entry("a100", "80"), Map.entry("a800", "80"), Map.entry("a30", "80"),
            Map.entry("a10", "86"), Map.entry("a10g", "86"), Map.entry("a40", "86"), Map.entry("a16", "86"),
            Map.entry("l4", "89"), Map.entry("l20", "89"), Map.entry("l40", "89"), Map.entry("l40s", "89"),
            Map.entry("h100", "90"), Map.entry("h800", "90"), Map.entry("h200", "90"), Map.entry("h20", "90"),
            Map.entry("b200", "100"));

    /**
     * The CMake entries of {@code specs}, in order, each once; throws {@link Wording.Error} naming the first entry that
     * is neither an architecture nor a known GPU.
     */
    public static List<String> parse(List<String> specs) {
        List<String> archs = new ArrayList<>();
        for (String spec : specs) {
            for (String part : spec.split("[;,\\s]+")) {
                if (part.isBlank()) continue;
                String a = one(part.trim());
                if (!archs.contains(a)) archs.add(a);
            }
        }
        return List.copyOf(archs);
    }

    private static String one(String part) {
        String p = part.toLowerCase(Locale.ROOT);
        String named = NAMES.get(p.replaceFirst("^(nvidia|tesla)[-_ ]?", ""));
        if (named != null) return named;
        p = p.replaceFirst("^(sm|compute)_", "").replace(".", "");
        if (p.matches("\\d{2,3}[af]?(-real|-virtual)?")) return p;
        throw new Wording.Error("{cudaArch|the CUDA architecture} " + part + " is neither a CUDA architecture nor a GPU"
                + " we know (write the compute capability without the dot, 86 for an A10, 75 for a T4, or a name: "
                + String.join(", ", List.of("a10", "t4", "v100", "a100", "h100")) + ")");
    }

    /** The number of an entry: "86-real" → 86, "90a" → 90. */
    public static int number(String arch) {
        return Integer.parseInt(arch.replaceAll("[^0-9].*$", ""));
    }

    /** Whether the entry asks for machine code (cubin): all but "NN-virtual". */
    static boolean wantsCubin(String arch) {
        return !arch.endsWith("-virtual");
    }

    /** Whether the entry asks for PTX: CMake's plain "NN" gives both, "NN-real" only the cubin. */
    static boolean wantsPtx(String arch) {
        return !arch.endsWith("-real");
    }
}
