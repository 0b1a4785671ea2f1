package dev.llamagic.engine.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to send to {@code /v1/chat/completions}: the messages and the sampling overrides (null = the server's), and,
 * for {@link Chat}, where to send it ({@link #to(String)}: the server's URL, and its API key if it wants one).
 */
public final class ChatRequest {
    private final String url;
    private final String apiKey;
    private final String authorization;
    private final List<Message> messages;
    private final String model;
    private final Double temperature;
    private final Integer topK;
    private final Double topP;
    private final Double minP;
    private final Integer maxTokens;
    private final Long seed;
    private final boolean noThink;
    private final Boolean cachePrompt;
    private final List<ChatImage> images;
    private final boolean fitContext;

    private ChatRequest(Builder b) {
        this.url = b.url;
        this.apiKey = b.apiKey;
        this.authorization = b.authorization;
        this.messages = List.copyOf(b.messages);
        this.model = b.model;
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.minP = b.minP;
        this.maxTokens = b.maxTokens;
        this.seed = b.seed;
        this.noThink = b.noThink;
        this.cachePrompt = b.cachePrompt;
        this.images = List.copyOf(b.images);
        this.fitContext = b.fitContext;
    }

    /** The images sent with the last user message (OpenAI {@code image_url} content parts, before its text). */
    public List<ChatImage> images() {
        return images;
    }

    /** This request with other messages and another answer limit (the rest the same). */
    ChatRequest with(List<Message> newMessages, Integer newMaxTokens) {
        return new ChatRequest(this, newMessages, newMaxTokens);
    }

    // every final field assigned here, so a field added later cannot be left out of with(...)
    private ChatRequest(ChatRequest o, List<Message> messages, Integer maxTokens) {
        if (messages.isEmpty()) throw new IllegalArgumentException("a chat request needs a message");
        this.url = o.url;
        this.apiKey = o.apiKey;
        this.authorization = o.authorization;
        this.messages = List.copyOf(messages);
        this.model = o.model;
        this.temperature = o.temperature;
        this.topK = o.topK;
        this.topP = o.topP;
        this.minP = o.minP;
        this.maxTokens = maxTokens;
        this.seed = o.seed;
        this.noThink = o.noThink;
        this.cachePrompt = o.cachePrompt;
        this.images = o.images;
        this.fitContext = o.fitContext;
    }

    /** Whether {@link Chat} fits the messages into the server's context first (see {@link ContextFit}). */
    public boolean fitContext() {
        return fitContext;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A request to the server at {@code url} ({@code http://127.0.0.1:8080}, or an OpenAI-style base ending in {@code /v1}). */
    public static Builder to(String url) {
        return new Builder().url(url);
    }

    /** Where {@link Chat} sends it (null: not set; a {@link ChatClient} sends to its own URL). */
    public String url() {
        return url;
    }

    /** Sent as {@code Authorization: Bearer} by {@link Chat}; null for none. */
    public String apiKey() {
        return apiKey;
    }

    /** Sent as the whole {@code Authorization} header (a PAI-EAS service token), instead of the API key; null for none. */
    public String authorization() {
        return authorization;
    }

    public static ChatRequest of(String userMessage) {
        return builder().message(Message.user(userMessage)).build();
    }

    public List<Message> messages() {
        return messages;
    }

    public String model() {
        return model;
    }

    public Integer maxTokens() {
        return maxTokens;
    }

    public boolean noThink() {
        return noThink;
    }

    /** The JSON body (as maps for Jackson), streaming with usage. */
    public Map<String, Object> body(String defaultModel) {
        Map<String, Object> m = new LinkedHashMap<>();
        String mdl = model != null ? model : defaultModel;
        if (mdl != null) m.put("model", mdl);
        List<Map<String, Object>> msgs = new ArrayList<>();
        int lastUser = -1;
        for (int i = 0; i < messages.size(); i++) if (messages.get(i).role().equals("user")) lastUser = i;
        for (int i = 0; i < messages.size(); i++) {
            Message x = messages.get(i);
            if (i == lastUser && !images.isEmpty()) {
                List<Map<String, Object>> parts = new ArrayList<>();
                for (ChatImage img : images) parts.add(Map.of("type", "image_url", "image_url", Map.of("url", img.dataUrl())));
                parts.add(Map.of("type", "text", "text", x.content()));
                msgs.add(Map.of("role", x.role(), "content", parts));
            } else {
                msgs.add(Map.of("role", x.role(), "content", x.content()));
            }
        }
        m.put("messages", msgs);
        m.put("stream", true);
        m.put("stream_options", Map.of("include_usage", true));
        if (temperature != null) m.put("temperature", temperature);
        if (topK != null) m.put("top_k", topK);
        if (topP != null) m.put("top_p", topP);
        if (minP != null) m.put("min_p", minP);
        if (maxTokens != null) m.put("max_tokens", maxTokens);
        if (seed != null) m.put("seed", seed);
        if (noThink) m.put("chat_template_kwargs", Map.of("enable_thinking", false));
        if (cachePrompt != null) m.put("cache_prompt", cachePrompt);
        return m;
    }

    /** Builder; every sampling setter takes null for "the server's default". */
    public static final class Builder {
        private String url;
        private String apiKey;
        private String authorization;
        private final List<Message> messages = new ArrayList<>();
        private String model;
        private Double temperature;
        private Integer topK;
        private Double topP;
        private Double minP;
        private Integer maxTokens;
        private Long seed;
        private boolean noThink;
        private Boolean cachePrompt;
        private final List<ChatImage> images = new ArrayList<>();
        private boolean fitContext;

        public Builder url(String v) { url = v; return this; }
        public Builder apiKey(String v) { apiKey = v; return this; }
        /** The {@code Authorization} header's value as it is (EAS: the service token). */
        public Builder authorization(String v) { authorization = v; return this; }
        public Builder message(Message m) { messages.add(m); return this; }
        /** Adds a user message. */
        public Builder user(String text) { messages.add(Message.user(text)); return this; }
        public Builder messages(List<Message> ms) { messages.addAll(ms); return this; }
        public Builder model(String v) { model = v; return this; }
        public Builder temperature(Double v) { temperature = v; return this; }
        public Builder topK(Integer v) { topK = v; return this; }
        public Builder topP(Double v) { topP = v; return this; }
        public Builder minP(Double v) { minP = v; return this; }
        public Builder maxTokens(Integer v) { maxTokens = v; return this; }
        public Builder seed(Long v) { seed = v; return this; }
        /** Qwen3: {@code chat_template_kwargs: {"enable_thinking": false}}. */
        public Builder noThink(boolean v) { noThink = v; return this; }
        /** llama-server: false re-evaluates the whole prompt (to measure prefill). */
        public Builder cachePrompt(Boolean v) { cachePrompt = v; return this; }
        /**
         * llama-server: before sending, count the prompt's tokens with the server's own template and tokenizer and,
         * when the conversation has outgrown the context, leave out its oldest turns (the system prompt and the
         * newest message stay) so that it fits with room for the answer; an answer limit not given is bounded by
         * what is left. {@link ChatResult#fit()} says what was done. Servers without {@code /props} are sent the
         * request as it is.
         */
        public Builder fitContext(boolean v) { fitContext = v; return this; }

        /** Images for the last user message ({@link ChatImage#of}: a file, an http(s) URL or a data URL). */
        public Builder images(List<ChatImage> v) { images.addAll(v); return this; }
        public Builder image(ChatImage v) { images.add(v); return this; }
        /** An image by path or URL, read and checked now. */
        public Builder image(String pathOrUrl) { images.add(ChatImage.of(pathOrUrl)); return this; }

        public ChatRequest build() {
            if (messages.isEmpty()) throw new IllegalArgumentException("a chat request needs a message");
            return new ChatRequest(this);
        }
    }
}
