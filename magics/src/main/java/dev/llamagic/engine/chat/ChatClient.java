package dev.llamagic.engine.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okhttp3.sse.EventSource;
import okhttp3.sse.EventSourceListener;
import okhttp3.sse.EventSources;

/**
 * A client of an OpenAI-compatible {@code /v1/chat/completions} endpoint (llama-server, or any other), always
 * streaming (server-sent events): {@code delta.content} and {@code delta.reasoning_content} go to a
 * {@link Listener} as they arrive, the final {@code timings} and {@code usage} (asked for with
 * {@code stream_options.include_usage}) end up in the {@link ChatResult}; okhttp-sse reads the events.
 * Cancelling (the caller's interrupt) cancels the HTTP call at once: the socket closes and llama-server stops
 * generating.
 */
public final class ChatClient {
    private static final MediaType JSON_TYPE = MediaType.get("application/json");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String apiKey;
    private final String authorization;
    private final OkHttpClient http;
    private volatile String defaultModel;

    /** What a caller sees while the answer streams in. Called on the caller's thread. */
    public interface Listener {
        void delta(String reasoning, String content);
    }

    /**
     * @param url    the server: {@code http://127.0.0.1:8080}, or an OpenAI-style base ending in {@code /v1}
     * @param apiKey sent as {@code Authorization: Bearer}; null for none
     */
    public ChatClient(String url, String apiKey) {
        this(url, apiKey, null);
    }

    /** As above; {@code authorization}, when not null, is the whole {@code Authorization} header (EAS's token). */
    public ChatClient(String url, String apiKey, String authorization) {
        this.baseUrl = normalize(url);
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        this.authorization = authorization == null || authorization.isBlank() ? null : authorization;
        this.http = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(10))
                // a long prompt can take minutes before the first token: no read timeout, the caller cancels
                .readTimeout(Duration.ZERO)
                .callTimeout(Duration.ZERO)
                .retryOnConnectionFailure(false)
                // llama-server closes idle keep-alive connections after a few seconds: a pooled one would fail
                // the next chat with "unexpected end of stream"; on loopback a fresh connection costs nothing
                .connectionPool(new ConnectionPool(0, 1, TimeUnit.SECONDS))
                // okhttp-sse reads the stream on the dispatcher's threads: daemons, so they never hold up an exit
                .dispatcher(new Dispatcher(Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(r, "llamagic-chat-stream");
                    t.setDaemon(true);
                    return t;
                })))
                .build();
    }

    /** {@code http://h:p/v1/chat/completions} → {@code http://h:p/v1}; {@code http://h:p} → {@code http://h:p/v1}. */
    static String normalize(String url) {
        if (url == null || url.isBlank()) throw new UserError("no server URL given");
        String u = url.strip();
        if (!u.startsWith("http://") && !u.startsWith("https://")) u = "http://" + u;
        while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
        if (u.endsWith("/chat/completions")) u = u.substring(0, u.length() - "/chat/completions".length());
        if (!u.endsWith("/v1")) u = u + "/v1";
        if (okhttp3.HttpUrl.parse(u) == null) throw new UserError("not a URL: " + url);
        return u;
    }

    /** The OpenAI base URL, ending in {@code /v1}. */
    public String baseUrl() {
        return baseUrl;
    }

    public String completionsUrl() {
        return baseUrl + "/chat/completions";
    }

    private Request.Builder request(String url) {
        Request.Builder b = new Request.Builder().url(url);
        if (authorization != null) b.header("Authorization", authorization);
        else if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
        return b;
    }

    /** The model ids {@code /v1/models} lists (llama-server: its alias, else the model path). */
    public List<String> models() {
        try (Response r = http.newCall(request(baseUrl + "/models").build()).execute()) {
            ResponseBody body = r.body();
            String text = body == null ? "" : body.string();
            if (!r.isSuccessful()) throw httpError(r.code(), text);
            List<String> ids = new ArrayList<>();
            for (JsonNode m : JSON.readTree(text).path("data")) ids.add(m.path("id").asText());
            return ids;
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /**
     * Whether the server reads images: llama-server's {@code /props} says so in {@code modalities.vision}
     * (true when it was started with a projector); null when the server does not say (not a llama-server).
     */
    public Boolean readsImages() {
        try (Response r = http.newCall(request(rootUrl() + "/props").build()).execute()) {
            ResponseBody body = r.body();
            if (!r.isSuccessful() || body == null) return null;
            JsonNode v = JSON.readTree(body.string()).path("modalities").path("vision");
            return v.isBoolean() ? v.asBoolean() : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Whether a server's error message means that it cannot read images (started without a projector). */
    public static boolean noImageSupport(String message) {
        String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
        return m.contains("image input is not supported") || m.contains("multimodal is not supported");
    }

    /** The server's root ({@link #baseUrl()} without {@code /v1}): where llama-server's own endpoints live. */
    String rootUrl() {
        return baseUrl.endsWith("/v1") ? baseUrl.substring(0, baseUrl.length() - 3) : baseUrl;
    }

    /**
     * {@code GET} (body null) or {@code POST} (JSON body) of one of llama-server's own endpoints ({@code /props},
     * {@code /tokenize}, ...) under {@link #rootUrl()}: its JSON, or null when the server answers with an error
     * (another kind of server: no such endpoint). Unreachable: a one-line {@link UserError}.
     */
    JsonNode serverJson(String pathAndQuery, Object body) {
        Request.Builder b = request(rootUrl() + pathAndQuery);
        try {
            if (body != null) b.post(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        try (Response r = http.newCall(b.build()).execute()) {
            ResponseBody rb = r.body();
            String text = rb == null ? "" : rb.string();
            if (!r.isSuccessful()) {
                if (r.code() == 401 || r.code() == 403) throw httpError(r.code(), text);
                return null;
            }
            return JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return null;
        } catch (IOException e) {
            throw unreachable(e);
        }
    }

    /** The model a request without one asks for: the first {@code /v1/models} lists (null when none is known). */
    String modelFor(ChatRequest req) {
        return req.model() != null ? req.model() : defaultModel();
    }

    /** One question, one answer (no conversation), on the calling thread; an interrupt cancels it. */
    public ChatResult chat(String message) {
        return stream(ChatRequest.of(message), null, () -> false);
    }

    /**
     * Sends {@code req} and streams the answer: deltas go to {@code listener} (may be null) on this thread.
     * Stops with {@link Interrupted} when this thread is interrupted or {@code cancelled} turns true; fails with
     * a one-line {@link UserError} when the server cannot be reached or answers with an error.
     */
    public ChatResult stream(ChatRequest req, Listener listener, BooleanSupplier cancelled) {
        String model = req.model();
        if (model == null) model = defaultModel();
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(req.body(model));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Request httpReq = request(completionsUrl())
                .header("Accept", "text/event-stream")
                .post(RequestBody.create(body, JSON_TYPE))
                .build();
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        long start = System.nanoTime();
        EventSource source = EventSources.createFactory(http).newEventSource(httpReq, new Reader(events));

        Accumulator acc = new Accumulator(start);
        try {
            while (true) {
                if (cancelled.getAsBoolean() || Thread.currentThread().isInterrupted()) throw new InterruptedException();
                Event e = events.poll(100, TimeUnit.MILLISECONDS);
                if (e == null) continue;
                if (e instanceof Failure f) throw f.error;
                if (e instanceof End) break;
                if (e instanceof Chunk c) {
                    acc.take(c, listener);
                }
            }
        } catch (InterruptedException | Interrupted ie) {
            source.cancel();
            throw new Interrupted("chat");
        } catch (RuntimeException ex) {
            source.cancel();
            throw ex;
        }
        acc.finish(listener);
        return acc.result(System.nanoTime());
    }

    private String defaultModel() {
        String m = defaultModel;
        if (m != null) return m;
        try {
            List<String> ids = models();
            if (!ids.isEmpty()) defaultModel = ids.get(0);
        } catch (UserError e) {
            // the completion request itself will say what is wrong
        }
        return defaultModel;
    }

    // ---- the stream, read on OkHttp's dispatcher thread

    private sealed interface Event permits Chunk, End, Failure {}

    private record Chunk(JsonNode json, long nanos) implements Event {}

    private record End() implements Event {}

    private record Failure(UserError error) implements Event {}

    /**
     * Turns okhttp-sse's callbacks (on OkHttp's dispatcher thread) into events for the caller's thread; each
     * chunk is timed the moment its event arrives. Stops at {@code [DONE]} or at the first failure.
     */
    private final class Reader extends EventSourceListener {
        private final BlockingQueue<Event> events;
        private boolean open;
        private boolean over;

        Reader(BlockingQueue<Event> events) {
            this.events = events;
        }

        @Override
        public void onOpen(EventSource source, Response r) {
            open = true;
        }

        @Override
        public void onEvent(EventSource source, String id, String type, String data) {
            if (over) return;
            if (data.strip().equals("[DONE]") || !handle(data, events)) {
                over = true;
                events.add(new End());
                source.cancel();
            }
        }

        @Override
        public void onClosed(EventSource source) {
            events.add(new End());
        }

        @Override
        public void onFailure(EventSource source, Throwable t, Response r) {
            if (over) return; // the cancel after [DONE] or an error event
            over = true;
            if (open && EventStreams.endedInsideAnEvent(t)) {
                events.add(new End());
                return;
            }
            try {
                events.add(failure(t, r));
            } catch (IOException | RuntimeException e) {
                events.add(new Failure(new UserError("bad answer from " + completionsUrl() + ": " + e.getMessage())));
            }
        }

        private Event failure(Throwable t, Response r) throws IOException {
            if (r != null && !r.isSuccessful()) return new Failure(httpError(r.code(), r.peekBody(8192).string()));
            ResponseBody body = r == null ? null : r.body();
            MediaType type = body == null ? null : body.contentType();
            if (t instanceof IllegalStateException && type != null && "json".equals(type.subtype())) {
                // a server that ignored "stream": one JSON completion
                events.add(new Chunk(JSON.readTree(body.string()), System.nanoTime()));
                return new End();
            }
            if (t instanceof IllegalStateException && r != null) {
                return new Failure(new UserError(completionsUrl() + " answered with " + (type == null ? "no content type" : type)
                        + ", not an event stream"));
            }
            if (t instanceof IOException e) return new Failure(unreachable(e));
            return new Failure(new UserError("bad answer from " + completionsUrl() + ": "
                    + (t == null ? "HTTP " + (r == null ? "?" : r.code()) : t.getMessage())));
        }
    }

    private boolean handle(String data, BlockingQueue<Event> events) {
        long now = System.nanoTime();
        JsonNode j;
        try {
            j = JSON.readTree(data);
        } catch (IOException e) {
            events.add(new Failure(new UserError("bad event from " + completionsUrl() + ": " + abbreviate(data))));
            return false;
        }
        if (j.has("error")) {
            events.add(new Failure(new UserError("the server stopped with an error: " + errorMessage(j))));
            return false;
        }
        events.add(new Chunk(j, now));
        return true;
    }

    /** Folds the stream's chunks into a result. */
    private static final class Accumulator {
        final long start;
        final StringBuilder text = new StringBuilder();
        final StringBuilder reasoning = new StringBuilder();
        final ThinkSplitter splitter = new ThinkSplitter();
        boolean serverSplitsReasoning;
        String finish;
        String model;
        ChatResult.Timings timings;
        long promptTokens = -1;
        long completionTokens = -1;
        long first = -1;
        long last = -1;
        int chunks;

        Accumulator(long start) {
            this.start = start;
        }

        void take(Chunk c, Listener listener) {
            JsonNode j = c.json();
            if (j.hasNonNull("model")) model = j.get("model").asText();
            JsonNode choices = j.path("choices");
            for (JsonNode ch : choices) {
                JsonNode d = ch.has("delta") ? ch.get("delta") : ch.path("message");
                String r = d.path("reasoning_content").isTextual() ? d.get("reasoning_content").asText() : "";
                if (r.isEmpty() && d.path("reasoning").isTextual()) r = d.get("reasoning").asText();
                String t = d.path("content").isTextual() ? d.get("content").asText() : "";
                if (!r.isEmpty()) serverSplitsReasoning = true;
                if (!r.isEmpty() || !t.isEmpty()) {
                    if (first < 0) first = c.nanos();
                    last = c.nanos();
                    chunks++;
                }
                if (!r.isEmpty()) emit(r, "", listener);
                if (!t.isEmpty()) {
                    if (serverSplitsReasoning) emit("", t, listener);
                    else splitter.feed(t, (rr, tt) -> emit(rr, tt, listener));
                }
                if (ch.hasNonNull("finish_reason")) finish = ch.get("finish_reason").asText();
            }
            JsonNode u = j.path("usage");
            if (u.isObject()) {
                promptTokens = u.path("prompt_tokens").asLong(-1);
                completionTokens = u.path("completion_tokens").asLong(-1);
            }
            JsonNode tm = j.path("timings");
            if (tm.isObject()) {
                timings = new ChatResult.Timings(tm.path("cache_n").asLong(0), tm.path("prompt_n").asLong(0),
                        tm.path("prompt_ms").asDouble(Double.NaN), tm.path("predicted_n").asLong(0),
                        tm.path("predicted_ms").asDouble(Double.NaN), tm.path("predicted_per_second").asDouble(Double.NaN));
            }
        }

        void emit(String r, String t, Listener listener) {
            reasoning.append(r);
            text.append(t);
            if (listener != null) listener.delta(r, t);
        }

        void finish(Listener listener) {
            splitter.end((r, t) -> emit(r, t, listener));
        }

        ChatResult result(long end) {
            double ttft = first < 0 ? Double.NaN : (first - start) / 1e6;
            long n = timings != null && timings.predictedN() > 0 ? timings.predictedN()
                    : completionTokens > 0 ? completionTokens : chunks;
            double tps = n > 1 && last > first ? (n - 1) / ((last - first) / 1e9) : Double.NaN;
            return new ChatResult(text.toString(), reasoning.toString(), finish, model, timings, promptTokens,
                    completionTokens, ttft, (end - start) / 1e6, chunks, tps);
        }
    }

    // ---- errors in one line

    /** The server refused the request (401, 403): a missing or wrong API key; the message ends with the status. */
    public static final class Refused extends UserError {
        Refused(String message) {
            super(message);
        }
    }

    private UserError httpError(int code, String body) {
        String msg;
        try {
            msg = errorMessage(JSON.readTree(body));
        } catch (IOException | RuntimeException e) {
            msg = abbreviate(body);
        }
        if (code == 401 || code == 403) {
            return new Refused(baseUrl + " refused the request (" + code + (msg.isEmpty() ? "" : ": " + msg)
                    + ")");
        }
        if (code == 503) {
            return new UserError(baseUrl + " is not ready (503" + (msg.isEmpty() ? "" : ": " + msg) + "): wait for the model to load");
        }
        if (code == 404) {
            return new UserError(completionsUrl() + " was not found (404): is this an OpenAI-compatible server?");
        }
        return new UserError(baseUrl + " answered " + code + (msg.isEmpty() ? "" : ": " + msg));
    }

    private static String errorMessage(JsonNode j) {
        JsonNode e = j.path("error");
        if (e.isTextual()) return e.asText();
        if (e.path("message").isTextual()) return e.get("message").asText();
        if (j.path("message").isTextual()) return j.get("message").asText();
        return abbreviate(j.toString());
    }

    private UserError unreachable(IOException e) {
        String why;
        if (e instanceof ConnectException) why = "connection refused";
        else if (e instanceof UnknownHostException) why = "unknown host";
        else why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new UserError("cannot reach " + baseUrl + " (" + why.toLowerCase(Locale.ROOT) + ")");
    }

    private static String abbreviate(String s) {
        if (s == null) return "";
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() > 200 ? one.substring(0, 200) + "…" : one;
    }
}
