package dev.llamagic.engine.serve;

import dev.llamagic.engine.build.Llama;
import dev.llamagic.engine.chat.Conversation;
import dev.llamagic.core.Context;
import dev.llamagic.util.Html;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * THE registry of every llama-server this JVM started (and of the chat sessions, which live as long as the
 * kernel does): the one piece of static mutable state llamagic allows. A JVM shutdown hook stops every server;
 * each server also watches a lifeline pipe from this JVM, so even a {@code kill -9} of the kernel leaves none
 * behind.
 */
public final class Servers {
    private Servers() {}

    /** Default time a model may take to load. */
    public static final Duration DEFAULT_LOAD_TIMEOUT = Duration.ofMinutes(15);

    private static final Map<String, LlamaServer> SERVERS = new LinkedHashMap<>();
    private static final Map<String, Conversation> CONVERSATIONS = new LinkedHashMap<>();
    private static boolean hookInstalled;

    /** Every server started in this JVM (running or not), oldest first. */
    public static synchronized List<LlamaServer> all() {
        return List.copyOf(SERVERS.values());
    }

    /** The server named {@code name}, if any. */
    public static synchronized Optional<LlamaServer> find(String name) {
        return Optional.ofNullable(SERVERS.get(name));
    }

    /** The server named {@code name}; a one-line error naming the known ones otherwise. */
    public static synchronized LlamaServer get(String name) {
        LlamaServer s = SERVERS.get(name);
        if (s == null) {
            throw new UserError("no server named '" + name + "'" + (SERVERS.isEmpty() ? " (none started: %serve <model.gguf>)"
                    : " (known: " + String.join(", ", SERVERS.keySet()) + ")"));
        }
        return s;
    }

    /** The most recently started server that is ready (else loading); a one-line error when none runs. */
    public static synchronized LlamaServer latest() {
        List<LlamaServer> all = new ArrayList<>(SERVERS.values());
        all.sort(Comparator.comparing(LlamaServer::startedAt).reversed());
        for (LlamaServer s : all) if (s.state() == LlamaServer.State.READY) return s;
        for (LlamaServer s : all) if (s.state() == LlamaServer.State.LOADING) return s;
        throw new UserError("no server is running: start one with %serve <model.gguf> (or chat with any endpoint: --url URL)");
    }

    /** The chat session {@code name}, created empty on first use. */
    public static synchronized Conversation conversation(String name) {
        return CONVERSATIONS.computeIfAbsent(name, Conversation::new);
    }

    /** Every chat session so far. */
    public static synchronized List<Conversation> conversations() {
        return List.copyOf(CONVERSATIONS.values());
    }

    /**
     * Starts a server for {@code spec} and waits until it is ready, showing the loading stage in the notebook:
     * validates the model, the port and the flags first (one clear line each), fits the flags to the installed
     * llama-server, applies the preset, and logs to {@code <LLAMAGIC_HOME>/logs/serve-<name>.log}.
     */
    public static LlamaServer start(Context ctx, ServerSpec spec) {
        return start(ctx, spec, DEFAULT_LOAD_TIMEOUT, "%serve");
    }

    public static LlamaServer start(Context ctx, ServerSpec spec, Duration loadTimeout, String prefix) {
        Path model = spec.modelPath().toAbsolutePath();
        if (!Files.exists(model)) throw new UserError(prefix + ": no such file: " + model);
        if (Files.isDirectory(model)) throw new UserError(prefix + ": " + model + " is a directory: give a .gguf file");
        try {
            ModelLocator.checkGguf(model);
        } catch (UserError e) {
            throw new UserError(prefix + ": " + e.getMessage());
        }
        ServerSpec.Builder b = spec.toBuilder().modelPath(model);
        if (spec.flashAttention() != null && !List.of("on", "off", "auto").contains(spec.flashAttention())) {
            throw new UserError(prefix + ": --fa takes on, off or auto (not '" + spec.flashAttention() + "')");
        }

        Path binary;
        ServerFlags flags;
        try {
            binary = Llama.latest(ctx).binary("llama-server");
            flags = ServerFlags.probe(ctx, binary);
        } catch (UserError e) {
            throw new UserError(prefix + ": " + e.getMessage());
        }

        String name = uniqueName(spec.name() != null ? spec.name() : defaultName(spec.alias(), model), spec.name() != null, prefix);
        b.name(name);

        List<String> notes = new ArrayList<>();
        try {
            Presets.apply(spec.preset(), b, flags, spec.preset() == null ? null : Presets.memory(flags), notes);
        } catch (UserError e) {
            throw new UserError(prefix + ": " + e.getMessage());
        }

        String host = spec.host();
        int port;
        synchronized (Servers.class) {
            port = choosePort(host, spec.port(), prefix);
        }
        b.port(port);
        ServerSpec fitted = b.build();
        List<String> argv;
        try {
            argv = flags.argv(fitted, notes);
        } catch (UserError e) {
            throw new UserError(prefix + ": " + e.getMessage());
        }
        if (!fitted.loopback()) {
            ctx.notebook().warn("warning: --host " + host + " makes the server reachable from other machines"
                    + (fitted.apiKey() == null ? ": protect it with --api-key KEY" : " (it asks for the API key)"));
        }
        for (String n : notes) ctx.notebook().print("note: " + n);

        Path log;
        LlamaServer server;
        try {
            log = ctx.logs().resolve("serve-" + name + ".log");
            server = LlamaServer.launch(name, fitted, port, binary, argv, flags.env(fitted), log);
        } catch (IOException e) {
            throw new UserError(prefix + ": cannot start llama-server: " + e.getMessage());
        }
        register(server);
        ctx.notebook().print("starting '" + name + "': " + binary.getFileName() + " " + String.join(" ", server.argv()));
        ctx.notebook().print("log: " + log);
        Progress progress = ctx.notebook().progress("loading " + model.getFileName(), LlamaServer.STAGES.length, Progress.Unit.STEPS);
        try {
            server.awaitReady(ctx, progress, loadTimeout, prefix);
        } catch (LlamaServer.LoadFailed f) {
            // kept in the list as "failed (code N)": --logs NAME shows why
            throw explainFailure(ctx, server, prefix);
        } catch (RuntimeException e) {
            // interrupted or timed out: forget it at once (JJava runs the next cell while this one cleans up), then stop it
            synchronized (Servers.class) {
                SERVERS.remove(server.name(), server);
            }
            server.stop();
            throw e;
        } finally {
            progress.close();
        }
        return server;
    }

    private static UserError explainFailure(Context ctx, LlamaServer server, String prefix) {
        try {
            server.process().waitFor(null, "llama-server");
        } catch (RuntimeException ignored) {
            // already gone
        }
        List<String> tail = server.tail(200);
        Integer code = server.exitCode();
        String reason = LoadFailure.reason(tail, code);
        List<String> shown = LoadFailure.relevant(tail, 15);
        String head = "llama-server exited while loading " + server.modelPath().getFileName()
                + " (exit code " + code + ")" + (reason == null ? "" : ": " + reason);
        String text = head + "\n" + String.join("\n", shown) + "\nfull log: " + server.logFile();
        ctx.notebook().html("<div class=\"llamagic-serve-failed\" style=\"border-left:4px solid #c62828;padding:4px 8px\">"
                + "<b>" + Html.escape(head) + "</b><pre style=\"font-size:11px\">" + Html.escape(String.join("\n", shown))
                + "</pre><div>full log: <code>" + Html.escape(server.logFile().toString()) + "</code></div></div>", text);
        return new UserError(prefix + ": " + head + " (log: " + server.logFile() + ")");
    }

    private static synchronized void register(LlamaServer s) {
        SERVERS.put(s.name(), s);
        if (!hookInstalled) {
            Runtime.getRuntime().addShutdownHook(new Thread(Servers::stopAllOnExit, "llamagic-servers-shutdown"));
            hookInstalled = true;
        }
    }

    /** Stops the server {@code name} ({@code all}: every one); returns those stopped. */
    public static List<LlamaServer> stop(String name) {
        List<LlamaServer> targets;
        synchronized (Servers.class) {
            targets = "all".equals(name) ? new ArrayList<>(SERVERS.values()) : List.of(get(name));
        }
        List<Thread> stoppers = new ArrayList<>();
        for (LlamaServer s : targets) {
            Thread t = new Thread(s::stop, "llamagic-stop-" + s.name());
            t.start();
            stoppers.add(t);
        }
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        synchronized (Servers.class) {
            for (LlamaServer s : targets) SERVERS.remove(s.name(), s);
        }
        return targets;
    }

    /** Stops {@code name} and starts it again with the same settings (the same port when it is still free). */
    public static LlamaServer restart(Context ctx, String name, Duration loadTimeout, String prefix) {
        LlamaServer old = get(name);
        stop(name);
        ServerSpec spec = old.spec().toBuilder().name(name).build();
        // the port was fixed at launch: reuse it, unless someone took it meanwhile
        if (!Ports.isFree(spec.host(), old.port())) spec = spec.toBuilder().port(null).build();
        return start(ctx, spec, loadTimeout, prefix);
    }

    private static void stopAllOnExit() {
        List<LlamaServer> all;
        synchronized (Servers.class) {
            all = new ArrayList<>(SERVERS.values());
        }
        List<Thread> ts = new ArrayList<>();
        for (LlamaServer s : all) {
            if (!s.process().isAlive()) continue;
            Thread t = new Thread(s::signalStop);
            t.start();
            ts.add(t);
        }
        for (Thread t : ts) {
            try {
                t.join(8000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static String defaultName(String alias, Path model) {
        String base = alias != null ? alias : model.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        base = base.replaceFirst("-\\d{5}-of-\\d{5}$", "");
        String n = base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
        return n.isEmpty() ? "server" : n;
    }

    private static synchronized String uniqueName(String wanted, boolean explicit, String prefix) {
        if (!wanted.matches("[A-Za-z0-9._-]+")) {
            throw new UserError(prefix + ": a server name may hold letters, digits, '.', '_' and '-' only (not '" + wanted + "')");
        }
        if (wanted.equals("all")) throw new UserError(prefix + ": 'all' cannot name a server (it means every server)");
        LlamaServer existing = SERVERS.get(wanted);
        if (existing == null || !existing.alive()) {
            if (existing != null) SERVERS.remove(wanted);
            return wanted;
        }
        if (explicit) {
            throw new UserError(prefix + ": a server named '" + wanted + "' is already running (stop it with %serve --stop "
                    + wanted + ", or choose another --name)");
        }
        for (int i = 2; ; i++) {
            String n = wanted + "-" + i;
            LlamaServer e = SERVERS.get(n);
            if (e == null || !e.alive()) {
                if (e != null) SERVERS.remove(n);
                return n;
            }
        }
    }

    private static int choosePort(String host, Integer wanted, String prefix) {
        if (wanted == null) {
            try {
                for (int attempt = 0; attempt < 20; attempt++) {
                    int p = Ports.free(host);
                    boolean ours = SERVERS.values().stream().anyMatch(s -> s.port() == p && s.alive());
                    if (!ours) return p;
                }
                throw new UserError(prefix + ": no free port found on " + host);
            } catch (IOException e) {
                throw new UserError(prefix + ": cannot listen on " + host + ": " + e.getMessage() + " (check --host)");
            }
        }
        if (wanted < 1 || wanted > 65535) throw new UserError(prefix + ": --port must be 1..65535 (or auto)");
        for (LlamaServer s : SERVERS.values()) {
            if (s.port() == wanted && s.alive()) {
                throw new UserError(prefix + ": port " + wanted + " is in use by server '" + s.name()
                        + "' (stop it with %serve --stop " + s.name() + ", or use --port auto)");
            }
        }
        if (!Ports.isFree(host, wanted)) {
            String owner = Ports.owner(wanted).map(o -> "process " + o.pid() + (o.command().isEmpty() ? "" : " (" + o.command() + ")"))
                    .orElse("another process");
            throw new UserError(prefix + ": port " + wanted + " is in use by " + owner + " (choose another --port, or --port auto)");
        }
        return wanted;
    }
}
