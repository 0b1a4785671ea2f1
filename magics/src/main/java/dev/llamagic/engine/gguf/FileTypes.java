package dev.llamagic.engine.gguf;

import java.util.LinkedHashMap;
import java.util.Map;

/** llama.cpp's {@code general.file_type} values (llama_ftype) and the type names llama-quantize accepts. */
public final class FileTypes {
    private FileTypes() {}

    public static final Map<Integer, String> NAMES = new LinkedHashMap<>();

    static {
        String[] n = {"F32", "F16", "Q4_0", "Q4_1", null, null, null, "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S",
                "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "IQ2_XXS", "IQ2_XS", "Q2_K_S",
                "IQ3_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M", "IQ4_XS", "IQ1_M", "BF16",
                null, null, null, "TQ1_0", "TQ2_0", "MXFP4_MOE"};
        for (int i = 0; i < n.length; i++) if (n[i] != null) NAMES.put(i, n[i]);
    }

    public static String name(long id) {
        String s = NAMES.get((int) id);
        return s == null ? "type " + id : s;
    }

    /** What llama-quantize accepts as its type argument (besides aliases it also knows). */
    public static final java.util.List<String> QUANTIZE = java.util.List.of("Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K",
            "Q2_K_S", "Q3_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K", "Q4_K_S", "Q4_K_M", "Q5_K", "Q5_K_S", "Q5_K_M",
            "Q6_K", "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M",
            "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "MXFP4_MOE", "F16", "BF16", "F32", "COPY", "Q1_0", "Q2_0");
}
