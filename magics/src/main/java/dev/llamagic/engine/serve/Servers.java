package dev.llamagic.engine.serve;

import dev.llamagic.core.Context;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.build.Llama;
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
 * The llama-servers one {@link dev.llamagic.core.Session} (a kernel, a CLI run) started: a part of the session
 * ({@link #of(Context)}), closed with it, which stops every server. Each server also hangs on a lifeline pipe
 * from this JVM, so even a {@code kill -9} of the kernel leaves none behind.
 *
 * <pre>{@code
 * var s = Servers.start(ctx, ServerSpec.builder(gguf).build());
 * Servers.of(ctx).stop(s.name());
 * }</pre>
 */
public final class Servers implements AutoCloseable {
    /** Default time a model may take to load. */
    public static final Duration DEFAULT_LOAD_TIMEOUT = Duration.ofMinutes(15);

    private final Map<String, LlamaServer> servers = new LinkedHashMap<>();

    /** A registry of its own (a session makes one with {@link #of}). */
    public Servers() {}

    /** The servers of {@code ctx}'s session. */
    public static Servers of(Context ctx) {
        return ctx.session().part(Servers.class, Servers::new);
    }

    /**
     * Starts a server for {@code spec} in {@code ctx}'s session and waits until it is ready, showing the loading
     * stage in the notebook. See {@link #start(Context, ServerSpec, Duration)}.
     */
    public static LlamaServer start(Context ctx, ServerSpec spec) {
        return of(ctx).start(ctx, spec, DEFAULT_LOAD_TIMEOUT);
    }

    /** Every server started (running or not), oldest first. */
    public synchronized List<LlamaServer> all() {
        return List.copyOf(servers.values());
    }

    /** The server named {@code name}, if any. */
    public synchronized Optional<LlamaServer> find(String name) {
        return Optional.ofNullable(servers.get(name));
    }

    /** The server named {@code name}; a one-line error naming the known ones otherwise. */
    public synchronized LlamaServer get(String name) {
        LlamaServer s = servers.get(name);
        if (s == null) {
            throw new UserError("no server named '" + name + "'" + (servers.isEmpty() ? " (none started)"
                    : " (known: " + String.join(", ", servers.keySet()) + ")"));
        }
        return s;
    }

    /** The most recently started server that is ready (else loading); empty when none runs. */
    public synchronized Optional<LlamaServer> latest() {
        List<LlamaServer> all = new ArrayList<>(servers.values());
        all.sort(Comparator.comparing(LlamaServer::startedAt).reversed());
        for (LlamaServer s : all) if (s.state() == LlamaServer.State.READY) return Optional.of(s);
        for (LlamaServer s : all) if (s.state() == LlamaServer.State.LOADING) return Optional.of(s);
        return Optional.empty();
    }

    /**
     * Starts a server for {@code spec} and waits until it is ready, showing the loading stage in the notebook:
     * validates the model, the port and the flags first (one clear line each, a {@link ServeError} where the
     * caller may say how to fix it), fits the flags to the installed llama-server, applies the preset, and logs to
     * {@code <LLAMAGIC_HOME>/logs/serve-<name>.log}. A server that exits while loading stays in the list (failed)
     * and ends this with {@link LoadFailure.Failed}.
     */
    public LlamaServer start(Context ctx, ServerSpec spec, Duration loadTimeout) {
        // what the spec itself gets wrong is said before anything is looked up (the build, the model file)
        if (spec.preset() != null) Presets.check(spec.preset());
        Path model = spec.modelPath().toAbsolutePath();
        if (!spec.router()) {
            if (!Files.exists(model)) throw new UserError("no such file: " + model);
            if (Files.isDirectory(model)) throw new UserError(model + " is a directory: give a .gguf file");
            ModelLocator.checkGguf(model);
        }
        ServerSpec.Builder b = spec.toBuilder().modelPath(model);
        if (spec.flashAttention() != null && !List.of("on", "off", "auto").contains(spec.flashAttention())) {
            throw new ServeError(ServeError.Kind.BAD_FLASH_ATTENTION, spec.flashAttention(),
                    "flash attention takes on, off or auto (not '" + spec.flashAttention() + "')");
        }

        Path binary = Llama.latest(ctx).binary("llama-server");
        ServerFlags flags = ServerFlags.probe(ctx, binary);

        String name = uniqueName(spec.name() != null ? spec.name() : spec.router() ? "router" : defaultName(spec.alias(), model),
                spec.name() != null);
        b.name(name);
        if (spec.router()) {
            Path dir = Router.modelsDir(ctx, name, spec.routerModels());
            b.routerModels(List.of(dir)).modelPath(dir);
        }

        List<String> notes = new ArrayList<>();
        Presets.apply(spec.preset(), b, flags, spec.preset() == null ? null : Presets.memory(flags), notes);
        GpuFit.apply(ctx, b, flags, notes, false);

        String host = spec.host();
        int port;
        synchronized (this) {
            port = choosePort(host, spec.port());
        }
        b.port(port);
        ServerSpec fitted = b.build();
        List<String> argv = flags.argv(fitted, notes);
        for (String n : notes) ctx.notebook().print("note: " + n);

        Path log;
        LlamaServer server;
        try {
            log = ctx.logs().resolve("serve-" + name + ".log");
            server = LlamaServer.launch(name, fitted, port, binary, argv, flags.env(fitted), log);
        } catch (IOException e) {
            throw new UserError("cannot start llama-server: " + e.getMessage());
        }
        synchronized (this) {
            servers.put(server.name(), server);
        }
        ctx.notebook().print("starting '" + name + "': " + binary.getFileName() + " " + String.join(" ", server.argv()));
        ctx.notebook().print("log: " + log);
        Progress progress = ctx.notebook().progress("loading " + model.getFileName(), LlamaServer.STAGES.length, Progress.Unit.STEPS);
        try {
            server.awaitReady(ctx, progress, loadTimeout);
        } catch (LlamaServer.ExitedWhileLoading f) {
            // kept in the list as "failed (code N)": its log shows why
            try {
                server.process().waitFor(null, "llama-server");
            } catch (RuntimeException ignored) {
                // already gone
            }
            throw LoadFailure.of(server).error();
        } catch (RuntimeException e) {
            // interrupted or timed out: forget it at once (JJava runs the next cell while this one cleans up), then stop it
            synchronized (this) {
                servers.remove(server.name(), server);
            }
            server.stop();
            throw e;
        } finally {
            progress.close();
        }
        return server;
    }

    /** Stops the server {@code name} ({@code all}: every one); returns those stopped. */
    public List<LlamaServer> stop(String name) {
        List<LlamaServer> targets;
        synchronized (this) {
            targets = "all".equals(name) ? new ArrayList<>(servers.values()) : List.of(get(name));
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
        synchronized (this) {
            for (LlamaServer s : targets) servers.remove(s.name(), s);
        }
        return targets;
    }

    /** Stops {@code name} and starts it again with the same settings (the same port when it is still free). */
    public LlamaServer restart(Context ctx, String name, Duration loadTimeout) {
        LlamaServer old = get(name);
        stop(name);
        ServerSpec spec = old.spec().toBuilder().name(name).build();
        // the port was fixed at launch: reuse it, unless someone took it meanwhile
        if (!Ports.isFree(spec.host(), old.port())) spec = spec.toBuilder().port(null).build();
        return start(ctx, spec, loadTimeout);
    }

    /** Stops every running server (SIGTERM to each at once, SIGKILL after a grace period) and forgets them. */
    @Override
    public void close() {
        List<LlamaServer> all;
        synchronized (this) {
            all = new ArrayList<>(servers.values());
            servers.clear();
        }
        List<Thread> ts = new ArrayList<>();
        for (LlamaServer s : all) {
            if (!s.process().isAlive()) continue;
            Thread t = new Thread(s::signalStop, "llamagic-stop-" + s.name());
            t.start();
            ts.add(t);
        }
        for (Thread t : ts) {
            try {
                t.join(8000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The name a server gets from its alias or model file: lower case, safe characters, no split suffix. */
    public static String defaultName(String alias, Path model) {
        String base = alias != null ? alias : model.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        base = base.replaceFirst("-\\d{5}-of-\\d{5}$", "");
        String n = base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
        return n.isEmpty() ? "server" : n;
    }

    /**
     * {@code wanted} when no running server has it (a stopped or failed one of that name is forgotten); else, when
     * the name was chosen by the user, a {@link ServeError.Kind#NAME_TAKEN} error; else {@code wanted-2}, {@code -3}, ...
     */
    synchronized String uniqueName(String wanted, boolean explicit) {
        if (!wanted.matches("[A-Za-z0-9._-]+")) {
            throw new UserError("a server name may hold letters, digits, '.', '_' and '-' only (not '" + wanted + "')");
        }
        if (wanted.equals("all")) throw new UserError("'all' cannot name a server (it means every server)");
        LlamaServer existing = servers.get(wanted);
        if (existing == null || !existing.alive()) {
            if (existing != null) servers.remove(wanted);
            return wanted;
        }
        if (explicit) {
            throw new ServeError(ServeError.Kind.NAME_TAKEN, wanted, "a server named '" + wanted + "' is already running");
        }
        for (int i = 2; ; i++) {
            String n = wanted + "-" + i;
            LlamaServer e = servers.get(n);
            if (e == null || !e.alive()) {
                if (e != null) servers.remove(n);
                return n;
            }
        }
    }

    /** {@code wanted} when it is free (null: a free port), else a {@link ServeError} saying who holds it. */
    int choosePort(String host, Integer wanted) {
        if (wanted == null) {
            try {
                for (int attempt = 0; attempt < 20; attempt++) {
                    int p = Ports.free(host);
                    boolean ours = servers.values().stream().anyMatch(s -> s.port() == p && s.alive());
                    if (!ours) return p;
                }
                throw new UserError("no free port found on " + host);
            } catch (IOException e) {
                throw new ServeError(ServeError.Kind.BAD_HOST, host, "cannot listen on " + host + ": " + e.getMessage());
            }
        }
        if (wanted < 1 || wanted > 65535) {
            throw new ServeError(ServeError.Kind.BAD_PORT, String.valueOf(wanted), "port " + wanted + " is not in 1..65535");
        }
        for (LlamaServer s : servers.values()) {
            if (s.port() == wanted && s.alive()) {
                throw new ServeError(ServeError.Kind.PORT_TAKEN_BY_SERVER, s.name(),
                        "port " + wanted + " is in use by server '" + s.name() + "'");
            }
        }
        if (!Ports.isFree(host, wanted)) {
            String owner = Ports.owner(wanted).map(o -> "process " + o.pid() + (o.command().isEmpty() ? "" : " (" + o.command() + ")"))
                    .orElse("another process");
            throw new ServeError(ServeError.Kind.PORT_TAKEN, String.valueOf(wanted), "port " + wanted + " is in use by " + owner);
        }
        return wanted;
    }

    /** Adds a server to the registry (tests; {@link #start} registers what it launches). */
    synchronized void register(LlamaServer s) {
        servers.put(s.name(), s);
    }
}
