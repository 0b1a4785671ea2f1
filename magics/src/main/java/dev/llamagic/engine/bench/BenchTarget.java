package dev.llamagic.engine.bench;

import java.nio.file.Path;

/**
 * A running llama-server to measure.
 *
 * @param name      how the report names it (the served model's name, or the URL)
 * @param apiKey    sent as {@code Authorization: Bearer}; null when the server has none
 * @param modelFile the GGUF it serves, for the roofline's model bytes; null when unknown (then
 *                  {@code /props}' {@code model_path} is used if that file exists here)
 * @param pid       the server's process, null when not ours
 * @param slots     parallel slots; ≤ 0 = ask the server ({@code /props} {@code total_slots})
 */
public record BenchTarget(String name, String baseUrl, String apiKey, Path modelFile, Long pid, int slots) {

    public BenchTarget {
        if (baseUrl == null || baseUrl.isBlank()) throw new IllegalArgumentException("a bench target needs a URL");
        while (baseUrl.endsWith("/")) baseUrl = baseUrl.substring(0, baseUrl.length() - 1);
    }

    public static BenchTarget url(String url, String apiKey) {
        return new BenchTarget(null, url, apiKey, null, null, 0);
    }
}
