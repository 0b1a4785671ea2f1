package dev.llamagic.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client against a real local HTTP server speaking llama-server's streaming protocol. */
class ChatClientTest {
    private HttpServer server;
    private final AtomicReference<JsonNode> lastRequest = new AtomicReference<>();
    private final AtomicReference<String> lastAuth = new AtomicReference<>();

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private String start(Handler h) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models", ex -> {
            byte[] b = "{\"object\":\"list\",\"data\":[{\"id\":\"tiny\"}]}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.createContext("/v1/chat/completions", ex -> {
            lastRequest.set(new ObjectMapper().readTree(ex.getRequestBody()));
            lastAuth.set(ex.getRequestHeaders().getFirst("Authorization"));
            h.handle(ex);
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    interface Handler {
        void handle(HttpExchange ex) throws IOException;
    }

    private static void sse(HttpExchange ex, List<String> events, long delayMs) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            for (String e : events) {
                out.write(("data: " + e + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (delayMs > 0) {
                    try {
                        Thread.sleep(delayMs);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final List<String> STREAM = List.of(
            "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}],\"model\":\"tiny\"}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Two plus\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\" two.\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"It is \"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"**4**.\"}}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"timings\":{\"cache_n\":3,\"prompt_n\":9,"
                    + "\"prompt_ms\":12.5,\"predicted_n\":4,\"predicted_ms\":30.0,\"predicted_per_second\":100.0}}",
            "{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":4,\"total_tokens\":16}}");

    @Test
    void streamsReasoningAndAnswerAndReadsTimingsAndUsage() throws Exception {
        String url = start(ex -> sse(ex, STREAM, 20));
        ChatClient c = new ChatClient(url, "sekrit");
        List<String> deltas = new ArrayList<>();
        ChatResult r = c.stream(ChatRequest.builder().message(Message.user("2+2?")).noThink(true).maxTokens(50).build(),
                (re, t) -> deltas.add(re.isEmpty() ? "A:" + t : "R:" + re), () -> false);
        assertEquals(List.of("R:Two plus", "R: two.", "A:It is ", "A:**4**."), deltas);
        assertEquals("It is **4**.", r.text());
        assertEquals("Two plus two.", r.reasoning());
        assertEquals("stop", r.finishReason());
        assertEquals("tiny", r.model());
        assertEquals(12, r.promptTokenCount());
        assertEquals(4, r.generatedTokens());
        assertEquals(100.0, r.serverTokensPerSecond());
        assertTrue(r.ttftMs() > 0 && r.ttftMs() < r.totalMs());
        assertTrue(r.clientTokensPerSecond() > 0, "client side speed: 3 tokens over the first→last arrival");
        assertTrue(r.summaryLine().startsWith("prompt 12 tokens (3 cached) · generated 4 tokens · TTFT "), r.summaryLine());
        assertTrue(r.summaryLine().contains("100.0 tokens/s (server)"), r.summaryLine());

        JsonNode req = lastRequest.get();
        assertEquals("tiny", req.path("model").asText(), "the model id comes from /v1/models");
        assertTrue(req.path("stream").asBoolean());
        assertTrue(req.path("stream_options").path("include_usage").asBoolean());
        assertEquals(false, req.path("chat_template_kwargs").path("enable_thinking").asBoolean(true));
        assertEquals(50, req.path("max_tokens").asInt());
        assertEquals("user", req.path("messages").get(0).path("role").asText());
        assertEquals("Bearer sekrit", lastAuth.get());
    }

    @Test
    void aConversationSendsTheWholeHistory() throws Exception {
        String url = start(ex -> sse(ex, STREAM, 0));
        ChatClient c = new ChatClient(url + "/v1/", null);
        Conversation conv = new Conversation("t");
        conv.reset("Be brief.");
        ChatResult first = c.stream(ChatRequest.builder().messages(conv.messagesFor("one")).build(), null, () -> false);
        conv.record("one", first.text(), "test");
        c.stream(ChatRequest.builder().messages(conv.messagesFor("two")).build(), null, () -> false);
        JsonNode msgs = lastRequest.get().path("messages");
        assertEquals(4, msgs.size());
        assertEquals("system", msgs.get(0).path("role").asText());
        assertEquals("one", msgs.get(1).path("content").asText());
        assertEquals("It is **4**.", msgs.get(2).path("content").asText());
        assertEquals("two", msgs.get(3).path("content").asText());
        assertEquals(null, lastAuth.get());
    }

    @Test
    void inlineThinkTagsAreSplitOff() throws Exception {
        String url = start(ex -> sse(ex, List.of(
                "{\"choices\":[{\"delta\":{\"content\":\"<think>\\nhm\"}}]}",
                "{\"choices\":[{\"delta\":{\"content\":\"</think>\\n\\nYes.\"}}]}"), 0));
        ChatResult r = new ChatClient(url, null).chat("ok?");
        assertEquals("\nhm", r.reasoning());
        assertEquals("Yes.", r.text());
    }

    @Test
    void cancellingClosesTheConnectionAtOnce() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean serverSawDisconnect = new AtomicBoolean();
        CountDownLatch handlerDone = new CountDownLatch(1);
        String url = start(ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            try {
                for (int i = 0; i < 10_000; i++) {
                    out.write(("data: {\"choices\":[{\"delta\":{\"content\":\"t" + i + " \"}}]}\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    started.countDown();
                    Thread.sleep(10);
                }
            } catch (IOException e) {
                serverSawDisconnect.set(true);
            } catch (InterruptedException e) {
                // stopping
            } finally {
                handlerDone.countDown();
                ex.close();
            }
        });
        ChatClient c = new ChatClient(url, null);
        AtomicBoolean cancel = new AtomicBoolean();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                c.stream(ChatRequest.of("go"), (r, x) -> {}, cancel::get);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        cancel.set(true);
        t.join(5000);
        assertTrue(thrown.get() instanceof Interrupted, String.valueOf(thrown.get()));
        assertTrue(handlerDone.await(10, TimeUnit.SECONDS), "the server stopped writing");
        assertTrue(serverSawDisconnect.get(), "the server saw the connection close");
    }

    @Test
    void errorsAreOneLine() throws Exception {
        String url = start(ex -> {
            byte[] b = "{\"error\":{\"code\":401,\"message\":\"Invalid API Key\",\"type\":\"authentication_error\"}}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(401, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        UserError e = assertThrows(UserError.class, () -> new ChatClient(url, null).chat("hi"));
        assertTrue(e.getMessage().contains("refused the request (401: Invalid API Key)"), e.getMessage());
        assertTrue(e instanceof ChatClient.Refused, "a refusal the magic explains with its --api-key");
    }

    @Test
    void anErrorMidStreamStopsWithItsMessage() throws Exception {
        String url = start(ex -> sse(ex, List.of("{\"choices\":[{\"delta\":{\"content\":\"a\"}}]}",
                "{\"error\":{\"code\":500,\"message\":\"context overflow\"}}"), 0));
        UserError e = assertThrows(UserError.class, () -> new ChatClient(url, null).chat("hi"));
        assertEquals("the server stopped with an error: context overflow", e.getMessage());
    }

    private static void raw(HttpExchange ex, String contentType, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (contentType != null) ex.getResponseHeaders().add("Content-Type", contentType);
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Test
    void theEventStreamIsReadAsTheStandardSays() throws Exception {
        // comments, other fields, an event's data over two lines (one without the space), CRLF line endings,
        // llama-server's "error:" field (not data), and nothing after [DONE]
        String url = start(ex -> raw(ex, "text/event-stream; charset=utf-8", 200,
                ": keep-alive\n\nevent: message\nid: 7\ndata: {\"choices\":[{\"delta\":\ndata:{\"content\":\"one \"}}]}\n\n"
                        + "retry: 100\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"two\"}}]}\r\n\r\n"
                        + "error: {\"message\":\"not data\"}\n\n"
                        + "data: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\" after\"}}]}\n\n"));
        ChatResult r = new ChatClient(url, null).chat("hi");
        assertEquals("one two", r.text());
        assertEquals(2, r.chunks());
    }

    @Test
    void anUnterminatedLastEventIsDropped() throws Exception {
        // the SSE standard: an event the server did not end with a blank line is discarded
        String url = start(ex -> raw(ex, "text/event-stream", 200,
                "data: {\"choices\":[{\"delta\":{\"content\":\"kept\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"lost\"}}]}"));
        assertEquals("kept", new ChatClient(url, null).chat("hi").text());
    }

    @Test
    void aServerThatIgnoresStreamingAnswersInOnePiece() throws Exception {
        String url = start(ex -> raw(ex, "application/json", 200,
                "{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":\"whole\"},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}"));
        ChatResult r = new ChatClient(url, null).chat("hi");
        assertEquals("whole", r.text());
        assertEquals("stop", r.finishReason());
        assertEquals(3, r.promptTokenCount());
    }

    @Test
    void aBadRequestSaysTheServersMessageInOneLine() throws Exception {
        String url = start(ex -> raw(ex, "application/json", 400,
                "{\"error\":{\"code\":400,\"message\":\"the request exceeds the available context size, try increasing it\","
                        + "\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":5000,\"n_ctx\":4096}}"));
        UserError e = assertThrows(UserError.class, () -> new ChatClient(url, null).chat("hi"));
        assertEquals(url + "/v1 answered 400: the request exceeds the available context size, try increasing it",
                e.getMessage());
    }

    @Test
    void somethingElseThanAnEventStreamIsSaid() throws Exception {
        String url = start(ex -> raw(ex, "text/html", 200, "<html>a proxy's page</html>"));
        UserError e = assertThrows(UserError.class, () -> new ChatClient(url, null).chat("hi"));
        assertEquals(url + "/v1/chat/completions answered with text/html, not an event stream", e.getMessage());
    }

    @Test
    void nobodyListening() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        UserError e = assertThrows(UserError.class, () -> new ChatClient("127.0.0.1:" + port, null).chat("hi"));
        assertEquals("cannot reach http://127.0.0.1:" + port + "/v1 (connection refused)", e.getMessage());
    }

    @Test
    void urlsAreNormalised() {
        assertEquals("http://h:1/v1", ChatClient.normalize("h:1"));
        assertEquals("http://h:1/v1", ChatClient.normalize("http://h:1/v1/"));
        assertEquals("https://api.x.com/v1", ChatClient.normalize("https://api.x.com/v1/chat/completions"));
    }

    @Test
    void theChatDoorSendsToTheRequestsUrlWithItsKey() throws Exception {
        String url = start(ex -> sse(ex, STREAM, 0));
        dev.llamagic.core.Context ctx = new dev.llamagic.core.Context(new dev.llamagic.core.RecordingNotebook(),
                java.util.Map.of(), "test", null);
        ChatResult r = Chat.ask(ctx, ChatRequest.to(url).apiKey("k1").user("2+2?").maxTokens(7).build());
        assertEquals("It is **4**.", r.text());
        assertEquals("Two plus two.", r.reasoning());
        assertEquals("Bearer k1", lastAuth.get());
        assertEquals(7, lastRequest.get().path("max_tokens").asInt());
        assertEquals("2+2?", lastRequest.get().path("messages").get(0).path("content").asText());
        assertEquals(url + "/v1", Chat.baseUrl(url + "/v1/chat/completions"));
        assertThrows(IllegalArgumentException.class, () -> Chat.ask(ctx, ChatRequest.builder().user("no url").build()));
    }

    @Test
    void aCancelledContextStopsTheDoorsStream() throws Exception {
        String url = start(ex -> sse(ex, STREAM, 400));
        dev.llamagic.core.Context ctx = new dev.llamagic.core.Context(new dev.llamagic.core.RecordingNotebook(),
                java.util.Map.of(), "test", null);
        List<String> seen = new ArrayList<>();
        assertThrows(Interrupted.class, () -> Chat.stream(ctx, ChatRequest.to(url).user("go").build(), (re, t) -> {
            seen.add(re + t);
            ctx.cancel();
        }));
        assertTrue(seen.size() < 4, "stopped after the first piece: " + seen);
    }

    @Test
    void conversationsArePerSession() {
        dev.llamagic.core.Session one = new dev.llamagic.core.Session();
        dev.llamagic.core.Session two = new dev.llamagic.core.Session();
        dev.llamagic.core.Context a = new dev.llamagic.core.Context(new dev.llamagic.core.RecordingNotebook(), java.util.Map.of(), "t", null, one);
        dev.llamagic.core.Context a2 = new dev.llamagic.core.Context(new dev.llamagic.core.RecordingNotebook(), java.util.Map.of(), "t", null, one);
        dev.llamagic.core.Context b = new dev.llamagic.core.Context(new dev.llamagic.core.RecordingNotebook(), java.util.Map.of(), "t", null, two);
        Conversations.of(a).get("x").record("q", "a", "srv");
        assertEquals(1, Conversations.of(a2).get("x").turns(), "the same session: the same conversation");
        assertEquals(0, Conversations.of(b).get("x").turns(), "another session starts empty");
        assertEquals(List.of("x"), Conversations.of(a).all().stream().map(Conversation::name).toList());
        one.close();
        two.close();
    }
}
