package dev.llamagic.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fitting a conversation into the context, against a real local HTTP server that speaks llama-server's
 * {@code /props}, {@code /apply-template}, {@code /tokenize} and chat endpoints, one token per word, and refuses a
 * prompt that exceeds its context with llama-server's own 400.
 */
class ContextFitTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private HttpServer server;
    private volatile int nCtx = 100;
    private final AtomicReference<JsonNode> sent = new AtomicReference<>();
    private final AtomicInteger propsCalls = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
        ContextFit.forgetAll();
    }

    private static void reply(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    /** The "template": each message as "role: content ." (so a turn costs its words plus two). */
    private static String template(JsonNode body) {
        StringBuilder b = new StringBuilder();
        for (JsonNode m : body.path("messages")) b.append(m.path("role").asText()).append(": ").append(m.path("content").asText()).append(" . ");
        return b.toString();
    }

    private static int tokens(String text) {
        return text.isBlank() ? 0 : text.strip().split("\\s+").length;
    }

    private String start(boolean llama) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models", ex -> reply(ex, 200, "application/json", "{\"data\":[{\"id\":\"tiny\"}]}"));
        if (llama) {
            server.createContext("/props", ex -> {
                propsCalls.incrementAndGet();
                reply(ex, 200, "application/json", "{\"default_generation_settings\":{\"n_ctx\":" + nCtx + "}}");
            });
            server.createContext("/apply-template", ex -> {
                JsonNode body = JSON.readTree(ex.getRequestBody());
                ObjectNode r = JSON.createObjectNode().put("prompt", template(body));
                reply(ex, 200, "application/json", r.toString());
            });
            server.createContext("/tokenize", ex -> {
                JsonNode body = JSON.readTree(ex.getRequestBody());
                List<Integer> ids = new ArrayList<>();
                for (int i = 0; i < tokens(body.path("content").asText()); i++) ids.add(i);
                reply(ex, 200, "application/json", JSON.writeValueAsString(Map.of("tokens", ids)));
            });
        }
        server.createContext("/v1/chat/completions", ex -> {
            JsonNode body = JSON.readTree(ex.getRequestBody());
            sent.set(body);
            int n = tokens(template(body));
            if (n >= nCtx) {
                refused.incrementAndGet();
                reply(ex, 400, "application/json", "{\"error\":{\"code\":400,\"message\":\"request (" + n
                        + " tokens) exceeds the available context size (" + nCtx + " tokens), try increasing it\","
                        + "\"type\":\"exceed_context_size_error\"}}");
                return;
            }
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(("data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"model\":\"tiny\","
                        + "\"usage\":{\"prompt_tokens\":" + n + ",\"completion_tokens\":1}}\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static Context ctx() {
        return new Context(new RecordingNotebook(), Map.of(), "test", null);
    }

    private static String words(String w, int n) {
        return (w + " ").repeat(n).strip();
    }

    /** A conversation of {@code turns} exchanges, each user message and answer {@code size} words. */
    private static Conversation conversation(int turns, int size) {
        Conversation c = new Conversation("t");
        c.reset("be brief");
        for (int i = 0; i < turns; i++) c.record(words("q" + i, size), words("a" + i, size), "x");
        return c;
    }

    @Test
    void aConversationThatFitsIsSentWholeWithTheAnswerBoundedByWhatIsLeft() throws Exception {
        String url = start(true);
        Conversation c = conversation(2, 5);
        ChatResult r = Chat.ask(ctx(), ChatRequest.to(url).messages(c.messagesFor("hello")).fitContext(true).build());
        assertEquals(6, sent.get().path("messages").size());
        // system 4 + 4 × 7 + user 3 = 35 tokens: 100 − 35 − 1 left for the answer
        assertEquals(35, r.fit().promptTokens());
        assertEquals(64, sent.get().path("max_tokens").asInt());
        assertEquals(0, r.fit().droppedTurns());
        assertTrue(!r.summaryLine().contains("trimmed"), r.summaryLine());
    }

    @Test
    void theOldestTurnsGoUntilThePromptFitsWithRoomForTheAnswer() throws Exception {
        String url = start(true);
        nCtx = 120;
        Conversation c = conversation(6, 8); // each turn 2 × (8 + 2) = 20 tokens
        ChatResult r = Chat.ask(ctx(), ChatRequest.to(url).messages(c.messagesFor("newest question")).fitContext(true).build());
        JsonNode msgs = sent.get().path("messages");
        // room for the answer: a quarter, 30 tokens; prompt ≤ 90: system 4 + user 4 + 4 turns (80) = 88
        assertEquals(0, refused.get());
        assertEquals("system", msgs.get(0).path("role").asText());
        assertEquals("be brief", msgs.get(0).path("content").asText());
        assertEquals("newest question", msgs.get(msgs.size() - 1).path("content").asText());
        assertEquals(1 + 2 * 4 + 1, msgs.size());
        assertTrue(msgs.get(1).path("content").asText().startsWith("q2 "), msgs.toString());
        assertEquals(2, r.fit().droppedTurns());
        assertEquals(88, r.fit().promptTokens());
        assertEquals(120 - 88 - 1, sent.get().path("max_tokens").asInt());
        assertTrue(r.summaryLine().endsWith(" · trimmed 2 earlier turns to fit the 120-token context"), r.summaryLine());
        // the conversation itself keeps every turn
        assertEquals(6, c.turns());
    }

    @Test
    void aGivenAnswerLimitIsTheRoomKept() throws Exception {
        String url = start(true);
        nCtx = 120;
        Conversation c = conversation(6, 8);
        ChatResult r = Chat.ask(ctx(), ChatRequest.to(url).messages(c.messagesFor("newest question")).maxTokens(70)
                .fitContext(true).build());
        // prompt ≤ 50: system 4 + user 4 + 2 turns (40) = 48
        assertEquals(4, r.fit().droppedTurns());
        assertEquals(70, sent.get().path("max_tokens").asInt());
    }

    @Test
    void aMessageTooLongAloneIsOneLine() throws Exception {
        String url = start(true);
        Conversation c = conversation(1, 5);
        ContextFit.TooLong e = assertThrows(ContextFit.TooLong.class, () -> Chat.ask(ctx(),
                ChatRequest.to(url).messages(c.messagesFor(words("long", 90))).fitContext(true).build()));
        assertEquals("the message needs 96 prompt tokens: it does not fit the server's 100-token context with room"
                + " for a 25-token answer", e.getMessage());
        assertNull(sent.get());
        // a limit beyond the context keeps half of it for the answer, and is sent as asked
        Conversation big = conversation(3, 8); // 4 + 60 + 3
        ChatResult r = Chat.ask(ctx(), ChatRequest.to(url).messages(big.messagesFor("hi")).maxTokens(100000).fitContext(true).build());
        assertEquals(1, r.fit().droppedTurns());
        assertEquals(100000, sent.get().path("max_tokens").asInt());
    }

    @Test
    void theContextSizeIsAskedOnceAndAgainWhenTheServerChanged() throws Exception {
        String url = start(true);
        Conversation c = conversation(3, 8); // 4 + 3 × 20 + 3 = 67 tokens
        Chat.ask(ctx(), ChatRequest.to(url).messages(c.messagesFor("one")).fitContext(true).build());
        Chat.ask(ctx(), ChatRequest.to(url).messages(c.messagesFor("two")).fitContext(true).build());
        assertEquals(1, propsCalls.get());
        nCtx = 60; // "restarted" with a smaller context: the remembered size is wrong once
        ChatResult r = Chat.ask(ctx(), ChatRequest.to(url).messages(c.messagesFor("three")).maxTokens(10).fitContext(true).build());
        assertEquals(1, refused.get());
        assertEquals(2, propsCalls.get());
        assertEquals(60, r.fit().nCtx());
        assertEquals(1, r.fit().droppedTurns());
    }

    @Test
    void otherServersGetTheRequestAsItIs() throws Exception {
        String url = start(false);
        Conversation c = conversation(3, 5);
        ChatResult r = Chat.ask(ctx(), ChatRequest.to(url).messages(c.messagesFor("hi")).fitContext(true).build());
        assertNull(r.fit());
        assertEquals(8, sent.get().path("messages").size());
        assertTrue(sent.get().path("max_tokens").isMissingNode());
    }
}
