package dev.llamagic.report;

import dev.llamagic.build.Llama;
import dev.llamagic.command.ChildProcess;
import dev.llamagic.command.Context;
import dev.llamagic.command.Interrupted;
import dev.llamagic.command.UserError;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A llama-server {@code %bench --compare} starts for one model and stops when closed.
 *
 * <p>MERGE: a stand-in for the serve capability. Replace {@link #start} with
 * {@code dev.llamagic.serve.Servers.start(ctx, spec)} (and {@link #close} with stopping that server) once
 * {@code %serve} is merged; keep nothing else of this class.
 */
final class TemporaryServer implements AutoCloseable {
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(15);
    private final ChildProcess process;
    private final BenchTarget target;

    private TemporaryServer(ChildProcess process, BenchTarget target) {
        this.process = process;
        this.target = target;
    }

    BenchTarget target() {
        return target;
    }

    /** Starts llama-server on 127.0.0.1 with {@code slots} slots of {@code slotContext} tokens, waits for /health. */
    static TemporaryServer start(Context ctx, String prefix, Path gguf, int slots, int slotContext, List<String> extra)
            throws IOException {
        Path bin = Llama.latest(ctx).binary("llama-server");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(bin.toString(), "-m", gguf.toString(), "--host", "127.0.0.1",
                "--port", Integer.toString(port), "-np", Integer.toString(slots),
                "-c", Integer.toString(slots * slotContext)));
        cmd.addAll(extra);
        Path log = ctx.logs().resolve("bench-server-" + gguf.getFileName() + "-" + port + ".log");
        ctx.notebook().print("starting llama-server for " + gguf.getFileName() + " on port " + port + " (log: " + log + ")");
        ChildProcess p = ChildProcess.start(cmd, null, null, log, null);
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + LOAD_TIMEOUT.toNanos();
        try {
            while (true) {
                ctx.checkInterrupted(prefix);
                if (!p.isAlive()) {
                    throw new UserError(prefix + ": llama-server for " + gguf.getFileName() + " exited: "
                            + String.join(" | ", p.tail(3)) + " (log: " + log + ")");
                }
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) break;
                } catch (IOException e) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    throw new UserError(prefix + ": llama-server for " + gguf.getFileName() + " did not load within "
                            + LOAD_TIMEOUT.toMinutes() + " min (log: " + log + ")");
                }
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            p.killTree();
            ctx.cancel();
            throw new Interrupted(prefix);
        } catch (RuntimeException e) {
            p.killTree();
            throw e;
        }
        String name = gguf.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        return new TemporaryServer(p, new BenchTarget(name, base, null, gguf, p.pid(), slots));
    }

    @Override
    public void close() {
        process.close();
    }
}
