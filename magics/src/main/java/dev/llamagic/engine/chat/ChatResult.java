package dev.llamagic.engine.chat;

import java.util.Locale;

/**
 * One answer: its text, the model's reasoning (thinking) apart, why it stopped, the server's own timings, and
 * what the client saw: time to first token and tokens per second between the first and the last token's
 * arrival.
 *
 * @param text                  the answer
 * @param reasoning             the reasoning ({@code reasoning_content}, or a {@code <think>} block), "" if none
 * @param finishReason          {@code stop}, {@code length}, ... (null if the stream ended without one)
 * @param model                 the model the server named
 * @param timings               llama-server's {@code timings} (null from servers that send none)
 * @param promptTokens          {@code usage.prompt_tokens} (-1 when not reported)
 * @param completionTokens      {@code usage.completion_tokens} (-1 when not reported)
 * @param ttftMs                client side: request sent → first token (content or reasoning) received
 * @param totalMs               client side: request sent → end of the stream
 * @param chunks                streamed chunks that carried text
 * @param clientTokensPerSecond client side: (generated − 1) tokens over first → last token arrival, as the server counts
 * @param fit                   how the request was fitted into the server's context (null: it was not)
 */
public record ChatResult(String text, String reasoning, String finishReason, String model, Timings timings,
                         long promptTokens, long completionTokens, double ttftMs, double totalMs, int chunks,
                         double clientTokensPerSecond, ContextFit.Fitted fit) {

    public ChatResult(String text, String reasoning, String finishReason, String model, Timings timings,
                      long promptTokens, long completionTokens, double ttftMs, double totalMs, int chunks,
                      double clientTokensPerSecond) {
        this(text, reasoning, finishReason, model, timings, promptTokens, completionTokens, ttftMs, totalMs, chunks,
                clientTokensPerSecond, null);
    }

    /** This result with how its request was fitted. */
    public ChatResult withFit(ContextFit.Fitted f) {
        return new ChatResult(text, reasoning, finishReason, model, timings, promptTokens, completionTokens, ttftMs,
                totalMs, chunks, clientTokensPerSecond, f);
    }

    /**
     * llama-server's {@code timings}: prompt tokens evaluated (cached ones excluded) and their time, tokens
     * generated and their time, and its generation speed.
     */
    public record Timings(long cacheN, long promptN, double promptMs, long predictedN, double predictedMs,
                          double predictedPerSecond) {}

    /** Tokens generated: from the server's timings, else usage, else the chunk count. */
    public long generatedTokens() {
        if (timings != null && timings.predictedN() > 0) return timings.predictedN();
        if (completionTokens >= 0) return completionTokens;
        return chunks;
    }

    /** Prompt tokens: usage, else the server's timings (which exclude cached tokens), else -1. */
    public long promptTokenCount() {
        if (promptTokens >= 0) return promptTokens;
        if (timings != null) return timings.promptN() + timings.cacheN();
        return -1;
    }

    /** The server's tokens/s, NaN when it did not say. */
    public double serverTokensPerSecond() {
        return timings == null ? Double.NaN : timings.predictedPerSecond();
    }

    /** The one line shown after each answer. */
    public String summaryLine() {
        StringBuilder b = new StringBuilder();
        long p = promptTokenCount();
        b.append("prompt ").append(p >= 0 ? p + " tokens" : "?");
        if (timings != null && timings.cacheN() > 0) b.append(" (").append(timings.cacheN()).append(" cached)");
        b.append(" · generated ").append(generatedTokens()).append(" tokens");
        b.append(" · TTFT ").append(ms(ttftMs));
        if (!Double.isNaN(serverTokensPerSecond())) {
            b.append(String.format(Locale.ROOT, " · %.1f tokens/s (server)", serverTokensPerSecond()));
        }
        if (!Double.isNaN(clientTokensPerSecond)) {
            b.append(String.format(Locale.ROOT, " · %.1f tokens/s (client)", clientTokensPerSecond));
        }
        if ("length".equals(finishReason)) b.append(" · stopped at the token limit");
        if (fit != null && fit.note() != null) b.append(" · ").append(fit.note());
        return b.toString();
    }

    private static String ms(double ms) {
        if (Double.isNaN(ms)) return "?";
        if (ms < 1000) return String.format(Locale.ROOT, "%.0f ms", ms);
        return String.format(Locale.ROOT, "%.2f s", ms / 1000);
    }
}
