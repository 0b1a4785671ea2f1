package dev.llamagic.engine.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.chat.EventStreams;
import dev.llamagic.engine.gpu.Gpu;
import dev.llamagic.engine.gpu.GpuSampler;
import dev.llamagic.engine.serve.ModelLocator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import okhttp3.Dispatcher;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.sse.EventSource;
import okhttp3.sse.EventSourceListener;
import okhttp3.sse.EventSources;

/**
 * Runs a {@link Workload} against a llama-server: real concurrent streaming {@code /completion} requests,
 * each timed on the client, each response's {@code timings} kept, GPU memory sampled meanwhile.
 * Usable from a cell: {@code BenchRunner.run(Cell.context(), BenchSpec.builder("http://127.0.0.1:8080").quick().build())}.
 */
public final class BenchRunner {
    private static final MediaType JSON_TYPE = MediaType.get("application/json");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LOAD_WAIT = Duration.ofMinutes(10);

    /** Text the prompts are cut from: tokenized by the server, repeated and rotated to the exact length. */
    static final String PROMPT_TEXT = """
            The river town woke before the sun. Bakers pulled the first loaves from brick ovens while the ferry \
            crew checked ropes, engines and the weather board by the pier. Children walked to school along the \
            levee, counting barges, and the librarian unlocked the doors at eight sharp, as she had for thirty \
            years. In the afternoon a storm rolled in from the west: the market folded its awnings, the ferry \
            waited at the far bank, and the radio read out water levels for every gauge from the dam to the sea. \
            By evening the sky cleared, lamps came on along the promenade, and the town counted the day's \
            measurements into ledgers: rainfall 23 millimetres, river height 4.7 metres, 1,284 passengers, \
            96 crates of apples, 3 lost umbrellas. Numbers, names and small events, written down so that \
            next year someone could compare. """;

    private final Context ctx;
    private final OkHttpClient http;
    private final EventSource.Factory sse;

    /** The server asked for an API key ({@code /props} answered 401): the message names the URL. */
    public static final class ApiKeyNeeded extends UserError {
        ApiKeyNeeded(String baseUrl) {
            super(baseUrl + " wants an API key");
        }
    }

    private BenchRunner(Context ctx) {
        this.ctx = ctx;
        this.http = new OkHttpClient.Builder()
                .connectTimeout(Duration.ofSeconds(10))
                .readTimeout(Duration.ofMinutes(10))
                .writeTimeout(Duration.ofMinutes(1))
                .retryOnConnectionFailure(true)
                // okhttp-sse reads each stream on a dispatcher thread: daemons, and no cap below the concurrency
                .dispatcher(dispatcher())
                .build();
        this.sse = EventSources.createFactory(http);
    }

    private static Dispatcher dispatcher() {
        Dispatcher d = new Dispatcher(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "llamagic-bench-stream");
            t.setDaemon(true);
            return t;
        }));
        d.setMaxRequests(1024);
        d.setMaxRequestsPerHost(1024);
        return d;
    }

    /**
     * Runs {@code spec}'s workload against its server with a progress bar in {@code ctx}'s notebook. Throws
     * {@link UserError} (one line) when the server cannot be measured, {@link ApiKeyNeeded} when it wants a key,
     * {@link dev.llamagic.core.Interrupted} when {@code ctx} is interrupted.
     */
    public static BenchResult run(Context ctx, BenchSpec spec) {
        return new BenchRunner(ctx).measure(spec);
    }

    private BenchResult measure(BenchSpec target) {
        try {
            return doMeasure(target, target.workload());
        } finally {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
    }

    private BenchResult doMeasure(BenchSpec target, Workload workload) {
        String base = target.baseUrl();
        JsonNode props = waitForProps(target);
        int slots = target.slots() > 0 ? target.slots() : props.path("total_slots").asInt(0);
        int slotCtx = props.path("default_generation_settings").path("n_ctx").asInt(0);
        String modelPath = props.path("model_path").asText("");
        BenchResult.Server server = new BenchResult.Server(slots, slotCtx, modelPath, props.path("build_info").asText(""));
        Workload.Plan plan = workload.plan(slots, slotCtx);
        if (plan.cases().isEmpty()) {
            throw new UserError("nothing of the workload fits this server (" + String.join("; ", plan.notes()) + ")");
        }
        Path modelFile = target.modelFile();
        if (modelFile == null && !modelPath.isBlank()) {
            Long pid = target.pid();
            if (pid == null && !Path.of(modelPath).isAbsolute()) {
                var found = LocalServers.pidOf(base, Path.of("/proc"));
                if (found.isPresent()) pid = found.getAsLong();
            }
            Path p = LocalServers.resolve(modelPath, pid, Path.of("/proc"));
            if (Files.isRegularFile(p)) modelFile = p;
        }
        long modelBytes = ModelLocator.totalBytes(modelFile);
        String name = modelName(modelFile, modelPath, props.path("model_alias").asText(""), base);
        List<Integer> text = tokenize(target, PROMPT_TEXT);
        if (text.size() < 16) throw new UserError("the server's /tokenize gave only " + text.size() + " tokens for the prompt text");

        List<BenchResult.CaseResult> results = new ArrayList<>();
        int threads = plan.cases().stream().mapToInt(Workload.Case::concurrency).max().orElse(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "llamagic-bench");
            t.setDaemon(true);
            return t;
        });
        List<EventSource> live = Collections.synchronizedList(new ArrayList<>());
        try (GpuSampler sampler = GpuSampler.start(ctx.env());
             Progress bar = ctx.notebook().progress("benchmark " + name, plan.requests(), Progress.Unit.COUNT)) {
            bar.detail("warm-up request");
            // one unmeasured request: first-use costs (allocations, kernels' first launch) stay out of the figures
            runBatch(pool, live, target, text, workload.promptTokens().get(0), Math.min(8, workload.genTokens().get(0)), 1, 0, null);
            int seq = 1;
            for (Workload.Case c : plan.cases()) {
                sampler.takeWindowPeak();
                List<BenchResult.Batch> batches = new ArrayList<>();
                for (int rep = 1; rep <= plan.repetitions(); rep++) {
                    ctx.checkInterrupted();
                    bar.detail(String.format(Locale.ROOT, "prompt %d · generate %d · concurrency %d · repetition %d/%d",
                            c.promptTokens(), c.genTokens(), c.concurrency(), rep, plan.repetitions()));
                    batches.add(runBatch(pool, live, target, text, c.promptTokens(), c.genTokens(),
                            c.concurrency(), seq, bar).withRepetition(rep));
                    seq += c.concurrency();
                }
                results.add(new BenchResult.CaseResult(c, batches, sampler.takeWindowPeak()));
            }
            bar.finish(plan.requests() + " requests");
            List<String> gpuNames = sampler.gpus().stream().map(Gpu::name).toList();
            return new BenchResult(name, target.server(), base, workload, plan, server, results, gpuNames,
                    Roofline.bandwidth(gpuNames), modelFile, modelBytes);
        } finally {
            synchronized (live) {
                live.forEach(EventSource::cancel);
            }
            pool.shutdownNow();
        }
    }

    private record Timed(BenchResult.Request request, long firstNs, long finalNs) {}

    /** Runs {@code concurrency} requests started together; the aggregate is Σ decode tokens ÷ (earliest first token → latest final event). */
    private BenchResult.Batch runBatch(ExecutorService pool, List<EventSource> live, BenchSpec target, List<Integer> text,
                                               int promptTokens, int genTokens, int concurrency, int seq, Progress bar) {
        CountDownLatch ready = new CountDownLatch(concurrency);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Timed>> futures = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            int index = i;
            List<Integer> prompt = promptOf(text, promptTokens, seq + i);
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                Timed t = stream(live, target, prompt, genTokens, index);
                if (bar != null) bar.add(1);
                return t;
            }));
        }
        try {
            while (!ready.await(100, TimeUnit.MILLISECONDS)) ctx.checkInterrupted();
            go.countDown();
            List<Timed> done = new ArrayList<>();
            for (Future<Timed> f : futures) {
                while (true) {
                    ctx.checkInterrupted();
                    try {
                        done.add(f.get(100, TimeUnit.MILLISECONDS));
                        break;
                    } catch (TimeoutException e) {
                        // keep waiting, checking for an interrupt
                    }
                }
            }
            long first = done.stream().mapToLong(Timed::firstNs).min().orElse(0);
            long last = done.stream().mapToLong(Timed::finalNs).max().orElse(0);
            int tokens = done.stream().mapToInt(t -> t.request().decodeTokens()).sum();
            boolean measurable = done.stream().allMatch(t -> Double.isFinite(t.request().clientDecodeTps()));
            double agg = measurable && last > first ? tokens / ((last - first) / 1e9) : Double.NaN;
            return new BenchResult.Batch(0, done.stream().map(Timed::request).toList(), agg);
        } catch (InterruptedException e) {
            ctx.cancel();
            throw new Interrupted();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof UserError u) throw u;
            throw new UserError("a request to " + target.baseUrl() + " failed: " + c.getMessage(), c);
        }
    }

    /**
     * How the report names the model: the GGUF's file name without {@code .gguf} (the file found here, else the
     * one in {@code /props}' {@code model_path}), else the server's alias, else its URL.
     */
    static String modelName(Path modelFile, String modelPath, String alias, String baseUrl) {
        String file = modelFile != null ? modelFile.getFileName().toString()
                : modelPath == null || modelPath.isBlank() ? "" : Path.of(modelPath).getFileName().toString();
        if (!file.isBlank()) return file.replaceFirst("(?i)\\.gguf$", "");
        return alias != null && !alias.isBlank() ? alias : baseUrl;
    }

    /** {@code n} tokens cut from the text (repeated as needed), rotated by {@code seq} so no two requests share a prefix. */
    static List<Integer> promptOf(List<Integer> text, int n, int seq) {
        List<Integer> out = new ArrayList<>(n);
        int offset = (int) ((seq * 7919L) % text.size());
        for (int i = 0; i < n; i++) out.add(text.get((offset + i) % text.size()));
        return out;
    }

    /** What a request's stream showed, as its events arrived (System.nanoTime()). */
    private static final class Seen {
        long first = -1;
        int nAtFirst;
        long fin = -1;
        long end = -1;
        JsonNode finalEvent;
    }

    /**
     * One streaming request, read by okhttp-sse on OkHttp's dispatcher thread; each event is timed the moment it
     * arrives. This thread waits for the stream's end.
     */
    private Timed stream(List<EventSource> live, BenchSpec target, List<Integer> prompt, int genTokens, int index)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode p = body.putArray("prompt");
        prompt.forEach(p::add);
        body.put("n_predict", genTokens);
        body.put("ignore_eos", true);
        body.put("cache_prompt", false);
        body.put("stream", true);
        Request.Builder rb = new Request.Builder().url(target.baseUrl() + "/completion")
                .post(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE));
        auth(rb, target);
        Seen seen = new Seen();
        CompletableFuture<Void> done = new CompletableFuture<>();
        boolean[] open = new boolean[1];
        long sent = System.nanoTime();
        EventSource source = sse.newEventSource(rb.build(), new EventSourceListener() {
            @Override
            public void onEvent(EventSource s, String id, String type, String data) {
                if (done.isDone()) return;
                long now = System.nanoTime();
                if (data.strip().equals("[DONE]")) {
                    seen.end = now;
                    done.complete(null);
                    s.cancel();
                    return;
                }
                JsonNode ev;
                try {
                    ev = JSON.readTree(data);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (ev.has("error")) {
                    throw new UserError("the server failed mid-stream: " + ev.path("error").path("message").asText(ev.toString()));
                }
                if (ev.path("stop").asBoolean(false)) {
                    seen.fin = now;
                    seen.finalEvent = ev;
                } else if (seen.first < 0 && (ev.path("tokens").size() > 0 || !ev.path("content").asText("").isEmpty())) {
                    // a token event: "tokens" (current llama-server), or text (older builds without "tokens")
                    seen.first = now;
                    seen.nAtFirst = ev.path("tokens_predicted").asInt(1);
                }
            }

            @Override
            public void onOpen(EventSource s, Response r) {
                open[0] = true;
            }

            @Override
            public void onClosed(EventSource s) {
                seen.end = System.nanoTime();
                done.complete(null);
            }

            @Override
            public void onFailure(EventSource s, Throwable t, Response r) {
                if (open[0] && EventStreams.endedInsideAnEvent(t)) {
                    onClosed(s);
                } else if (r != null && !r.isSuccessful()) {
                    done.completeExceptionally(new UserError(target.baseUrl() + "/completion answered HTTP " + r.code() + ": "
                            + errorMessage(r)));
                } else if (t instanceof IllegalStateException && r != null) {
                    done.completeExceptionally(new UserError(target.baseUrl() + "/completion answered with "
                            + r.header("Content-Type", "no content type") + ", not an event stream"));
                } else {
                    done.completeExceptionally(t instanceof UncheckedIOException u ? u.getCause()
                            : t != null ? t : new IOException("HTTP " + (r == null ? "?" : r.code())));
                }
            }
        });
        live.add(source);
        try {
            done.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            throw new IOException(c);
        } finally {
            source.cancel();
            live.remove(source);
        }
        long end = seen.end;
        JsonNode finalEvent = seen.finalEvent;
        long first = seen.first;
        int nAtFirst = seen.nAtFirst;
        long fin = seen.fin;
        if (finalEvent == null) throw new UserError("the server closed a stream without its final event");
        JsonNode t = finalEvent.path("timings");
        BenchResult.Timings timings = new BenchResult.Timings(t.path("cache_n").asInt(), t.path("prompt_n").asInt(),
                t.path("prompt_ms").asDouble(), t.path("prompt_per_second").asDouble(), t.path("predicted_n").asInt(),
                t.path("predicted_ms").asDouble(), t.path("predicted_per_second").asDouble());
        int nFinal = finalEvent.path("tokens_predicted").asInt(timings.predictedN());
        if (first < 0) {
            first = fin;
            nAtFirst = nFinal;
        }
        double decodeMs = (fin - first) / 1e6;
        int decodeTokens = Math.max(0, nFinal - nAtFirst);
        double tps = decodeMs > 0 ? decodeTokens / (decodeMs / 1000) : Double.NaN;
        if (burst(tps, timings.predictedPerSecond())) tps = Double.NaN;
        return new Timed(new BenchResult.Request(index, (first - sent) / 1e6, (end - sent) / 1e6, decodeMs, decodeTokens,
                tps, timings), first, fin);
    }

    /**
     * Whether the stream arrived in a burst: a client cannot see tokens faster than the server made them, so a
     * client rate far above the server's own {@code predicted_per_second} means the events were held back (llama-server
     * sends no event for a token that ends in an incomplete UTF-8 sequence; tiny random models make many) and
     * delivered together. Such a request's client-side decode time is not measurable: left empty, not guessed.
     */
    static boolean burst(double clientTps, double serverTps) {
        return Double.isFinite(clientTps) && serverTps > 0 && clientTps > 1.5 * serverTps;
    }

    private static String errorMessage(Response r) {
        try {
            String s = r.body() == null ? "" : r.body().string();
            JsonNode n = JSON.readTree(s);
            return n.path("error").path("message").asText(s);
        } catch (IOException e) {
            return "(no body)";
        }
    }

    private void auth(Request.Builder rb, BenchSpec target) {
        if (target.authorization() != null) rb.header("Authorization", target.authorization());
        else if (target.apiKey() != null && !target.apiKey().isBlank()) rb.header("Authorization", "Bearer " + target.apiKey());
    }

    /** {@code /props}, waiting while the server answers 503 (model loading). */
    private JsonNode waitForProps(BenchSpec target) {
        long deadline = System.nanoTime() + LOAD_WAIT.toNanos();
        boolean said = false;
        while (true) {
            ctx.checkInterrupted();
            Request.Builder rb = new Request.Builder().url(target.baseUrl() + "/props").get();
            auth(rb, target);
            try (Response r = http.newCall(rb.build()).execute()) {
                if (r.code() == 503 && System.nanoTime() < deadline) {
                    if (!said) ctx.notebook().print("waiting for " + target.baseUrl() + " to finish loading its model …");
                    said = true;
                } else if (r.code() == 401) {
                    throw new ApiKeyNeeded(target.baseUrl());
                } else if (!r.isSuccessful()) {
                    throw new UserError(target.baseUrl() + "/props answered HTTP " + r.code()
                            + " — is this a llama-server? (" + errorMessage(r) + ")");
                } else {
                    return JSON.readTree(r.body().string());
                }
            } catch (IOException e) {
                throw new UserError("cannot reach " + target.baseUrl() + " (" + e.getMessage()
                        + "): is the server running? Check the URL and port");
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                ctx.cancel();
                throw new Interrupted();
            }
        }
    }

    private List<Integer> tokenize(BenchSpec target, String text) {
        ObjectNode body = JSON.createObjectNode();
        body.put("content", text);
        body.put("add_special", false);
        Request.Builder rb = new Request.Builder().url(target.baseUrl() + "/tokenize")
                .post(RequestBody.create(body.toString(), JSON_TYPE));
        auth(rb, target);
        try (Response r = http.newCall(rb.build()).execute()) {
            if (!r.isSuccessful()) {
                throw new UserError(target.baseUrl() + "/tokenize answered HTTP " + r.code() + ": " + errorMessage(r));
            }
            List<Integer> out = new ArrayList<>();
            for (JsonNode n : JSON.readTree(r.body().string()).path("tokens")) out.add(n.isObject() ? n.path("id").asInt() : n.asInt());
            return out;
        } catch (IOException e) {
            throw new UserError("cannot reach " + target.baseUrl() + "/tokenize: " + e.getMessage());
        }
    }
}
