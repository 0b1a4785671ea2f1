package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tech.tablesaw.api.Table;

/**
 * The client-side timing of {@code %bench} against a real loopback HTTP server that streams llama-server's
 * {@code /completion} events on a known schedule: time to first token, then one event per token at a fixed gap.
 * The bounds are one-sided where a sleep makes them exact (an interval is never shorter than its sleeps) and
 * loose above, yet far below what a mistake (timing from the request, or counting the first token) would give.
 */
class BenchRunnerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TTFT_MS = 400;
    private static final long GAP_MS = 25;
    private static final int GEN = 8;

    private HttpServer server;
    /** What the scripted server's /props says its model file is. */
    private String modelPath = "";
    /** What the scripted server's /props says its parallel slots are. */
    private int slots = 2;
    /** Streams in progress on the scripted server, and the most at once. */
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger mostActive = new AtomicInteger();

    @TempDir
    Path home;

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    /** How the scripted server streams: how many tokens the first event carries, and whether all come at once. */
    private record Script(int firstEventTokens, boolean burst) {}

    private String start(Script script) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/props", ex -> reply(ex, "{\"total_slots\":" + slots + ",\"default_generation_settings\":{\"n_ctx\":4096},"
                + "\"model_path\":\"" + modelPath + "\",\"model_alias\":\"scripted\",\"build_info\":\"test\"}"));
        server.createContext("/tokenize", ex -> {
            StringBuilder ids = new StringBuilder();
            for (int i = 0; i < 100; i++) ids.append(i == 0 ? "" : ",").append(1000 + i);
            reply(ex, "{\"tokens\":[" + ids + "]}");
        });
        server.createContext("/completion", ex -> stream(ex, script));
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private void stream(HttpExchange ex, Script script) throws IOException {
        JsonNode req = JSON.readTree(ex.getRequestBody());
        int n = req.path("n_predict").asInt();
        int promptN = req.path("prompt").size();
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        mostActive.accumulateAndGet(active.incrementAndGet(), Math::max);
        try (OutputStream out = ex.getResponseBody()) {
            sleep(TTFT_MS);
            long genStart = System.nanoTime();
            // a burst: the tokens are made at the usual pace, but their events are held back and sent together
            if (script.burst()) sleep((n - 1) * GAP_MS);
            for (int i = script.firstEventTokens(); i <= n; i++) {
                if (i > script.firstEventTokens() && !script.burst()) sleep(GAP_MS);
                // llama-server's token event: the token ids, their text, and the count so far
                send(out, "{\"content\":\"x\",\"tokens\":[" + (2000 + i) + "],\"tokens_predicted\":" + i + ",\"stop\":false}");
            }
            double predictedMs = (System.nanoTime() - genStart) / 1e6;
            send(out, "{\"content\":\"\",\"stop\":true,\"tokens_predicted\":" + n + ",\"timings\":{\"cache_n\":0,\"prompt_n\":"
                    + promptN + ",\"prompt_ms\":" + TTFT_MS + ",\"prompt_per_second\":" + promptN * 1000.0 / TTFT_MS
                    + ",\"predicted_n\":" + n + ",\"predicted_ms\":" + predictedMs + ",\"predicted_per_second\":"
                    + (n - 1) * 1000.0 / predictedMs + "}}");
        } finally {
            active.decrementAndGet();
        }
    }

    private static void send(OutputStream out, String event) throws IOException {
        out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private BenchResult bench(Script script) throws IOException {
        return bench(script, null);
    }

    private BenchResult bench(Script script, String serverName) throws IOException {
        return bench(script, serverName, List.of(1, 2));
    }

    private BenchResult bench(Script script, String serverName, List<Integer> concurrency) throws IOException {
        String url = start(script);
        Context ctx = new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", home.toString(), "PATH", ""), "test", null);
        Workload w = new Workload("test", List.of(16), List.of(GEN), concurrency, 1);
        return BenchRunner.run(ctx, BenchSpec.builder(url).server(serverName).workload(w).build());
    }

    private static List<BenchResult.Request> requests(BenchResult r) {
        return r.cases().stream().flatMap(c -> c.batches().stream()).flatMap(b -> b.requests().stream()).toList();
    }

    @Test
    void decodeIsTimedFromTheFirstTokenEventToTheFinalOne() throws IOException {
        BenchResult r = bench(new Script(1, false));
        assertEquals("scripted", r.model());
        assertEquals(2, r.server().slots());
        List<BenchResult.Request> qs = requests(r);
        assertEquals(3, qs.size());
        long decode = (GEN - 1) * GAP_MS;
        for (BenchResult.Request q : qs) {
            assertEquals(16, q.server().promptN());
            // n − 1 tokens: the first one ends the time to first token
            assertEquals(GEN - 1, q.decodeTokens(), q.toString());
            assertTrue(q.ttftMs() >= TTFT_MS && q.ttftMs() < TTFT_MS + 300, q.toString());
            // from the request (it would include TTFT_MS) or to the first event (≈ 0) are both far outside
            assertTrue(q.decodeMs() >= decode && q.decodeMs() < decode + 200, q.toString());
            assertEquals(q.decodeTokens() * 1000.0 / q.decodeMs(), q.clientDecodeTps(), 1e-9);
            assertTrue(q.e2eMs() >= q.ttftMs() + q.decodeMs(), q.toString());
        }
        // the aggregate of two requests run together: twice the tokens over about the same interval
        BenchResult.Batch pair = r.cases().get(1).batches().get(0);
        assertEquals(2, pair.requests().size());
        double one = (GEN - 1) * 1000.0 / decode;
        assertTrue(pair.aggregateDecodeTps() > 1.2 * one && pair.aggregateDecodeTps() <= 2 * one, pair.toString());
    }

    @Test
    void manyRequestsStreamTogether() throws IOException {
        // more than OkHttp's default of 5 requests per host: none of them may wait for another to finish
        slots = 8;
        BenchResult r = bench(new Script(1, false), null, List.of(8));
        assertEquals(8, mostActive.get());
        BenchResult.Batch batch = r.cases().get(0).batches().get(0);
        assertEquals(8, batch.requests().size());
        for (BenchResult.Request q : batch.requests()) {
            assertTrue(q.ttftMs() >= TTFT_MS && q.ttftMs() < TTFT_MS + 300, q.toString());
        }
    }

    @Test
    void theModelIsNamedByItsFileAndTheServerByItsName() throws IOException {
        // a model file the server names but this machine does not have: still the report's model name
        modelPath = "/models/Qwen3-4B-Q4_K_M.gguf";
        BenchResult r = bench(new Script(1, false), "named-tiny");
        assertEquals("Qwen3-4B-Q4_K_M", r.model());
        assertEquals("named-tiny", r.serverName());
        Table t = BenchReport.summary(List.of(r));
        assertEquals(List.of("Qwen3-4B-Q4_K_M"), t.stringColumn(BenchReport.MODEL).unique().asList());
        assertEquals(List.of("named-tiny"), t.stringColumn(BenchReport.SERVER).unique().asList());
        assertTrue(BenchReport.header(r).get(0).startsWith("Qwen3-4B-Q4_K_M.gguf (server 'named-tiny') at http://127.0.0.1:"),
                BenchReport.header(r).get(0));
    }

    @Test
    void modelNames() {
        assertEquals("a-F16", BenchRunner.modelName(Path.of("/m/a-F16.gguf"), "/elsewhere/b.gguf", "alias", "http://h"));
        assertEquals("b", BenchRunner.modelName(null, "b.GGUF", "alias", "http://h"));
        assertEquals("alias", BenchRunner.modelName(null, "", "alias", "http://h"));
        assertEquals("http://h", BenchRunner.modelName(null, "", "", "http://h"));
    }

    @Test
    void tokensHeldBackFromTheFirstEventAreNotCountedInTheDecodeRate() throws IOException {
        // llama-server sends no event for a token ending in an incomplete UTF-8 sequence: the first event then
        // reports tokens_predicted 3, and the decode interval starts there
        for (BenchResult.Request q : requests(bench(new Script(3, false)))) {
            assertEquals(GEN - 3, q.decodeTokens(), q.toString());
            long decode = (GEN - 3) * GAP_MS;
            assertTrue(q.decodeMs() >= decode && q.decodeMs() < decode + 200, q.toString());
            assertEquals(q.decodeTokens() * 1000.0 / q.decodeMs(), q.clientDecodeTps(), 1e-9);
        }
    }

    @Test
    void aBurstIsLeftEmptyRatherThanGuessed() throws IOException {
        BenchResult r = bench(new Script(1, true));
        for (BenchResult.Request q : requests(r)) {
            assertTrue(Double.isNaN(q.clientDecodeTps()), q.toString());
            assertTrue(q.server().predictedPerSecond() > 0, q.toString());
        }
        r.cases().forEach(c -> c.batches().forEach(b -> assertTrue(Double.isNaN(b.aggregateDecodeTps()), b.toString())));
    }
}
