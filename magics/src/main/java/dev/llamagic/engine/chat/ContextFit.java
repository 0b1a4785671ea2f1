package dev.llamagic.engine.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llamagic.core.UserError;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fits a conversation into a llama-server's context: the context of one slot ({@code GET /props}:
 * {@code default_generation_settings.n_ctx}, remembered per URL and model), the prompt counted by the server itself
 * ({@code POST /apply-template}, then {@code POST /tokenize}), and, when it does not fit with room for the answer,
 * the oldest turns left out (leading system messages and the newest message always stay). Used by {@link Chat}
 * for requests built with {@link ChatRequest.Builder#fitContext(boolean)}.
 */
public final class ContextFit {
    /** Room kept for the answer when no limit is given: a quarter of the context, at most this many tokens. */
    public static final int DEFAULT_ANSWER_ROOM = 2048;

    /**
     * What was sent.
     *
     * @param nCtx          tokens of context per slot
     * @param promptTokens  the prompt sent, as the server counts it
     * @param droppedTurns  earlier turns (a user message and its answers) left out
     * @param maxTokens     the answer limit sent (the caller's, or what is left of the context)
     */
    public record Fitted(int nCtx, int promptTokens, int droppedTurns, int maxTokens) {
        /** "trimmed 3 earlier turns to fit the 2048-token context", or null when nothing was left out. */
        public String note() {
            if (droppedTurns == 0) return null;
            return "trimmed " + droppedTurns + " earlier turn" + (droppedTurns == 1 ? "" : "s") + " to fit the " + nCtx
                    + "-token context";
        }
    }

    /** The newest message cannot fit (with the system prompt and room for the answer) even with every earlier turn left out. */
    public static final class TooLong extends UserError {
        private final int nCtx;
        private final int promptTokens;
        private final int answerRoom;

        TooLong(int nCtx, int promptTokens, int answerRoom) {
            super("the message needs " + promptTokens + " prompt tokens: it does not fit the server's " + nCtx
                    + "-token context with room for a " + answerRoom + "-token answer");
            this.nCtx = nCtx;
            this.promptTokens = promptTokens;
            this.answerRoom = answerRoom;
        }

        public int nCtx() { return nCtx; }
        public int promptTokens() { return promptTokens; }
        public int answerRoom() { return answerRoom; }
    }

    /** Context sizes by server URL and model; -1: the server has no {@code /props} (not a llama-server). */
    private static final Map<String, Integer> SIZES = new ConcurrentHashMap<>();

    private ContextFit() {}

    /**
     * Fits {@code req} for {@code client}'s server: the request to send (perhaps with fewer messages and a
     * bounded {@code max_tokens}) and what was done, or null when the server cannot say its context size or
     * count tokens (then {@code req} is sent as it is).
     */
    static Result fit(ChatClient client, ChatRequest req) {
        String model = client.modelFor(req);
        int nCtx = contextSize(client, model);
        if (nCtx <= 0) return null;
        Integer asked = req.maxTokens();
        // room kept for the answer: the limit asked for (at most half the context: a larger one the server cuts
        // at the context's end anyway), else a quarter of the context
        int room = asked != null ? Math.max(1, Math.min(asked, nCtx / 2)) : defaultAnswerRoom(nCtx);

        List<Message> all = req.messages();
        int systems = 0;
        while (systems < all.size() - 1 && all.get(systems).role().equals("system")) systems++;
        final int head = systems;
        List<Integer> turnStarts = new ArrayList<>(); // where each earlier turn begins (a user message)
        for (int i = head; i < all.size() - 1; i++) {
            if (i == head || all.get(i).role().equals("user")) turnStarts.add(i);
        }
        int turns = turnStarts.size();

        Map<Integer, Integer> counted = new java.util.HashMap<>(); // turns left out -> prompt tokens
        java.util.function.IntUnaryOperator prompt = k -> counted.computeIfAbsent(k,
                kk -> count(client, req, model, drop(all, head, turnStarts, kk)));
        int full = prompt.applyAsInt(0);
        if (full < 0) return null;
        int dropped = 0;
        if (full + room > nCtx) {
            int least = prompt.applyAsInt(turns);
            if (least < 0) return null;
            if (least + room > nCtx) throw new TooLong(nCtx, least, room);
            // the fewest turns to leave out: binary search (a prompt only shrinks as turns go)
            int lo = 1;
            int hi = turns;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                int n = prompt.applyAsInt(mid);
                if (n >= 0 && n + room <= nCtx) hi = mid;
                else lo = mid + 1;
            }
            dropped = lo;
        }
        int promptTokens = prompt.applyAsInt(dropped);
        int maxTokens = asked != null ? asked : Math.max(1, nCtx - promptTokens - 1);
        List<Message> sent = dropped == 0 ? all : drop(all, head, turnStarts, dropped);
        return new Result(req.with(sent, maxTokens), new Fitted(nCtx, promptTokens, dropped, maxTokens));
    }

    /** A fitted request and what fitting did. */
    record Result(ChatRequest request, Fitted fitted) {}

    /** A quarter of the context, at most {@link #DEFAULT_ANSWER_ROOM}. */
    public static int defaultAnswerRoom(int nCtx) {
        return Math.max(1, Math.min(nCtx / 4, DEFAULT_ANSWER_ROOM));
    }

    /** Forgets the context size of {@code client}'s server (it answered that a request exceeds it: restarted?). */
    static void forget(ChatClient client, ChatRequest req) {
        SIZES.remove(key(client, client.modelFor(req)));
    }

    /** Forgets every remembered context size. */
    static void forgetAll() {
        SIZES.clear();
    }

    private static String key(ChatClient client, String model) {
        return client.rootUrl() + "|" + (model == null ? "" : model);
    }

    /** Tokens of context per slot, -1 when the server does not say. */
    static int contextSize(ChatClient client, String model) {
        String key = key(client, model);
        Integer known = SIZES.get(key);
        if (known != null) return known;
        String q = model == null ? "" : "?model=" + URLEncoder.encode(model, StandardCharsets.UTF_8);
        JsonNode props = client.serverJson("/props" + q, null);
        int n = props == null ? -1 : props.path("default_generation_settings").path("n_ctx").asInt(-1);
        if (n <= 0) {
            JsonNode slots = client.serverJson("/slots" + q, null);
            if (slots != null && slots.isArray() && !slots.isEmpty()) n = slots.get(0).path("n_ctx").asInt(-1);
        }
        if (n > 0 || props == null) SIZES.put(key, n <= 0 ? -1 : n);
        return n;
    }

    /** The prompt's tokens for {@code messages} as the server counts them, -1 when it cannot say. */
    private static int count(ChatClient client, ChatRequest req, String model, List<Message> messages) {
        Map<String, Object> body = req.with(messages, null).body(model);
        body.remove("stream");
        body.remove("stream_options");
        JsonNode t = client.serverJson("/apply-template", body);
        if (t == null || !t.path("prompt").isTextual()) return -1;
        Map<String, Object> tok = new java.util.LinkedHashMap<>();
        if (model != null) tok.put("model", model);
        tok.put("content", t.get("prompt").asText());
        tok.put("add_special", true);
        tok.put("parse_special", true);
        JsonNode r = client.serverJson("/tokenize", tok);
        if (r == null || !r.path("tokens").isArray()) return -1;
        return r.get("tokens").size();
    }

    /** {@code all} without its first {@code n} earlier turns. */
    private static List<Message> drop(List<Message> all, int head, List<Integer> turnStarts, int n) {
        if (n == 0) return all;
        List<Message> out = new ArrayList<>(all.subList(0, head));
        int from = n < turnStarts.size() ? turnStarts.get(n) : all.size() - 1;
        out.addAll(all.subList(from, all.size()));
        return out;
    }
}
