package dev.llamagic.engine.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.ChildProcess;
import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One llama-server this JVM started: its process (in a process group of its own, tied to this JVM by a
 * lifeline so that it dies even when the JVM is killed with {@code kill -9}), its port, log and state.
 * Created by {@link Servers#start}. Chat with it as with any OpenAI-compatible server, at {@link #url()}
 * (with {@link #apiKey()}).
 */
public final class LlamaServer {

    public enum State { LOADING, READY, FAILED, EXITED, STOPPED }

    /** A slot of the server ({@code /slots}): whether it is generating right now. */
    public record Slot(int id, boolean processing, int nCtx) {}

    /**
     * The wrapper between the lifeline and llama-server: it watches its stdin (the pipe from this JVM) in a
     * background subshell and execs llama-server in its own place (same pid, same process group). When the
     * pipe reaches end-of-file — this JVM is gone, however it died — the watcher sends SIGTERM, then SIGKILL.
     * The watcher also ends when the server exits on its own.
     */
    static final String WRAPPER = String.join("\n",
            "srv=$$",
            "exec 3<&0 </dev/null",
            "(",
            "  while kill -0 \"$srv\" 2>/dev/null; do",
            "    read -r -t 2 _ <&3",
            "    if [ $? -le 128 ]; then",
            "      kill -TERM \"$srv\" 2>/dev/null",
            "      for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do",
            "        kill -0 \"$srv\" 2>/dev/null || exit 0",
            "        sleep 0.25",
            "      done",
            "      kill -KILL \"$srv\" 2>/dev/null",
            "      exit 0",
            "    fi",
            "  done",
            ") &",
            "exec 3<&-",
            "exec \"$@\"");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final ServerSpec spec;
    private final int port;
    private final Path binary;
    private final List<String> argv;
    private final Path logFile;
    private final Instant startedAt;
    private final ChildProcess process;
    private final OkHttpClient http;
    private volatile boolean ready;
    private volatile boolean stopped;
    private volatile String stage = "starting";
    private volatile int stageIndex;

    /** Loading stages as llama-server logs them, in order: (log fragment, what the progress display says). */
    static final String[][] STAGES = {
            {"loading model", "reading the model"},
            {"load_tensors", "loading tensors"},
            {"llama_context", "creating the context (KV cache)"},
            {"initializing, n_slots", "creating the slots"},
            {"model loaded", "model loaded"},
    };

    private LlamaServer(String name, ServerSpec spec, int port, Path binary, List<String> argv, Path logFile,
                        ChildProcess process) {
        this.name = name;
        this.spec = spec;
        this.port = port;
        this.binary = binary;
        this.argv = List.copyOf(argv);
        this.logFile = logFile;
        this.startedAt = Instant.now();
        this.process = process;
        this.http = new OkHttpClient.Builder().connectTimeout(Duration.ofSeconds(2))
                .readTimeout(Duration.ofSeconds(10)).retryOnConnectionFailure(false)
                .connectionPool(new okhttp3.ConnectionPool(0, 1, java.util.concurrent.TimeUnit.SECONDS)).build();
    }

    /** Launches the process (not waiting for it to load). {@code argv} excludes the binary. */
    static LlamaServer launch(String name, ServerSpec spec, int port, Path binary, List<String> argv,
                              java.util.Map<String, String> env, Path logFile) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", WRAPPER, "llamagic-serve", binary.toString()));
        cmd.addAll(argv);
        Files.createDirectories(logFile.getParent());
        Files.writeString(logFile, "=== llamagic " + Instant.now() + ": " + binary + " " + String.join(" ", redact(argv, spec.apiKey())) + "\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        LlamaServer[] self = new LlamaServer[1];
        Object lock = new Object();
        ChildProcess p = ChildProcess.startWithLifeline(cmd, binary.getParent(), env, logFile, line -> {
            LlamaServer s;
            synchronized (lock) {
                s = self[0];
            }
            if (s != null) s.onLine(line);
        });
        LlamaServer s = new LlamaServer(name, spec, port, binary, argv, logFile, p);
        synchronized (lock) {
            self[0] = s;
        }
        return s;
    }

    /** {@code argv} with the API key shown as {@code ***}. */
    static List<String> redact(List<String> argv, String apiKey) {
        if (apiKey == null) return argv;
        List<String> out = new ArrayList<>();
        for (String a : argv) out.add(a.equals(apiKey) ? "***" : a);
        return out;
    }

    private void onLine(String line) {
        for (int i = stageIndex; i < STAGES.length; i++) {
            if (line.contains(STAGES[i][0])) {
                stageIndex = i + 1;
                stage = STAGES[i][1];
            }
        }
    }

    public String name() {
        return name;
    }

    public ServerSpec spec() {
        return spec;
    }

    public Path modelPath() {
        return spec.modelPath();
    }

    public int port() {
        return port;
    }

    /** The command line (binary excluded) the server runs with; the API key shows as {@code ***}. */
    public List<String> argv() {
        return redact(argv, spec.apiKey());
    }

    public Path binary() {
        return binary;
    }

    /** {@code http://127.0.0.1:PORT}: where to reach the server (its OpenAI API is under {@code /v1}). */
    public String url() {
        return baseUrl();
    }

    /** {@code http://127.0.0.1:PORT} (loopback even when the server listens on every address). */
    public String baseUrl() {
        String h = spec.host();
        if (h.equals("0.0.0.0") || h.equals("::") || h.isBlank()) h = "127.0.0.1";
        if (h.contains(":") && !h.startsWith("[")) h = "[" + h + "]";
        return "http://" + h + ":" + port;
    }

    public String apiKey() {
        return spec.apiKey();
    }

    public long pid() {
        return process.pid();
    }

    public Instant startedAt() {
        return startedAt;
    }

    public Path logFile() {
        return logFile;
    }

    public State state() {
        if (stopped) return State.STOPPED;
        if (process.isAlive()) return ready ? State.READY : State.LOADING;
        return ready ? State.EXITED : State.FAILED;
    }

    public boolean alive() {
        return process.isAlive() && !stopped;
    }

    /** The state as the list shows it: {@code ready}, {@code loading}, {@code exited (code 1)}, ... */
    public String stateText() {
        State s = state();
        String word = s.name().toLowerCase(Locale.ROOT);
        Integer code = s == State.EXITED || s == State.FAILED ? exitCode() : null;
        return code == null ? word : word + " (code " + code + ")";
    }

    /** The last {@code n} lines of the server's output. */
    public List<String> tail(int n) {
        return process.tail(n);
    }

    /** The last {@code n} lines of the log file (every start of this server appended to it). */
    public List<String> logTail(int n) throws IOException {
        return tailOf(logFile, n);
    }

    public static List<String> tailOf(Path file, int n) throws IOException {
        if (!Files.exists(file)) return List.of();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            long chunk = Math.min(len, Math.max(64 * 1024L, n * 400L));
            f.seek(len - chunk);
            byte[] buf = new byte[(int) chunk];
            f.readFully(buf);
            List<String> lines = new ArrayList<>(new String(buf, StandardCharsets.UTF_8).lines().toList());
            if (chunk < len && !lines.isEmpty()) lines.remove(0); // a partial first line
            return lines.subList(Math.max(0, lines.size() - n), lines.size());
        }
    }

    /** Fails in one line unless the server is ready (loading: wait; stopped or failed: restart it). */
    public void requireReady() {
        State s = state();
        if (s != State.READY) {
            throw new UserError("server '" + name + "' is " + stateText() + (s == State.LOADING ? ": wait until it is ready"
                    : ": restart it"));
        }
    }

    /** The server's slots ({@code GET /slots}): which ones are generating. */
    public List<Slot> slots() {
        JsonNode j = getJson("/slots");
        List<Slot> out = new ArrayList<>();
        for (JsonNode s : j) {
            out.add(new Slot(s.path("id").asInt(), s.path("is_processing").asBoolean(false), s.path("n_ctx").asInt()));
        }
        return out;
    }

    /** {@code GET path} as JSON (e.g. {@code /props}, {@code /slots}); one-line errors. */
    public JsonNode getJson(String path) {
        Request.Builder b = new Request.Builder().url(baseUrl() + path);
        if (spec.apiKey() != null) b.header("Authorization", "Bearer " + spec.apiKey());
        try (Response r = http.newCall(b.build()).execute()) {
            String body = r.body() == null ? "" : r.body().string();
            if (!r.isSuccessful()) throw new UserError(baseUrl() + path + " answered " + r.code() + ": " + body.strip());
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UserError("cannot reach server '" + name + "' at " + baseUrl() + ": " + e.getMessage());
        }
    }

    /** {@code /health}: 200 (ready), 503 (loading), or -1 when nothing answers yet. */
    int health() {
        try (Response r = http.newCall(new Request.Builder().url(baseUrl() + "/health").build()).execute()) {
            return r.code();
        } catch (java.io.InterruptedIOException e) {
            Thread.currentThread().interrupt(); // keep the user's interrupt for the caller's check
            return -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Waits until {@code /health} answers 200, drawing the loading stage in {@code progress}. The process
     * exiting meanwhile, the timeout, or an interrupt (which stops the server) end it with a one-line error.
     */
    void awaitReady(Context ctx, Progress progress, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int shown = -1;
        while (true) {
            try {
                ctx.checkInterrupted();
            } catch (Interrupted e) {
                progress.fail("interrupted: server stopped");
                throw e; // the caller forgets the server, then stops it
            }
            if (!process.isAlive()) {
                progress.fail("llama-server exited");
                throw new ExitedWhileLoading();
            }
            int code = health();
            if (code == 200) {
                ready = true;
                progress.finish("ready at " + baseUrl());
                return;
            }
            if (stageIndex != shown) {
                shown = stageIndex;
                progress.set(stageIndex);
            }
            progress.detail(stage + (code == 503 ? " (the server answers 503: loading)" : ""));
            if (System.nanoTime() > deadline) {
                progress.fail("not ready after " + timeout.toSeconds() + " s");
                throw new ServeError(ServeError.Kind.NOT_READY, name, "llama-server was not ready after " + timeout.toSeconds()
                        + " s, so it was stopped (log: " + logFile + ")");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The process exited while loading: the caller reads why off its output. */
    static final class ExitedWhileLoading extends RuntimeException {
        ExitedWhileLoading() {
            super("llama-server exited during loading", null, false, false);
        }
    }

    /** The exit code, or null while running. */
    public Integer exitCode() {
        if (process.isAlive()) return null;
        try {
            return process.process().exitValue();
        } catch (IllegalThreadStateException e) {
            return null;
        }
    }

    /** Stops the server (SIGTERM to its process group, SIGKILL after a grace period). Idempotent. */
    public void stop() {
        stopped = true;
        process.killTree();
    }

    /** Kills without waiting long (the session closing). */
    void signalStop() {
        stopped = true;
        process.close();
    }

    public ChildProcess process() {
        return process;
    }

    @Override
    public String toString() {
        return "LlamaServer{" + name + " " + baseUrl() + " pid " + pid() + " " + stateText() + "}";
    }
}
