package dev.llamagic.core;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.util.Map;

/**
 * What a running command sees of the world: where to report, where llamagic keeps its files, the
 * environment, and whether the user asked it to stop.
 */
public final class Context {
    private final Notebook notebook;
    private final Map<String, String> env;
    private final String host;
    private final Path home;
    private final Runnable onCancel;
    private final Session session;
    private volatile boolean cancelled;

    public Context(Notebook notebook, Map<String, String> env, String host, Runnable onCancel) {
        this(notebook, env, host, onCancel, null);
    }

    /** {@code session}: the kernel's or CLI run's; null gives this context a session of its own. */
    public Context(Notebook notebook, Map<String, String> env, String host, Runnable onCancel, Session session) {
        this.session = session == null ? new Session() : session;
        this.notebook = notebook;
        this.env = Map.copyOf(env);
        this.host = host;
        this.home = Home.resolve(this.env);
        this.onCancel = onCancel == null ? () -> {} : onCancel;
    }

    public static Context of(Notebook notebook, String host) {
        return new Context(notebook, System.getenv(), host, null);
    }

    /** What outlives one command: the servers and chat sessions of this kernel (or CLI run). */
    public Session session() {
        return session;
    }

    public Notebook notebook() {
        return notebook;
    }

    public Map<String, String> env() {
        return env;
    }

    public String env(String name) {
        return env.get(name);
    }

    /** Who runs the commands: "JJava 1.0-a8" in the kernel, "terminal" from the CLI. */
    public String host() {
        return host;
    }

    /** LLAMAGIC_HOME: builds, models, logs. */
    public Path home() {
        return home;
    }

    public Path logs() throws IOException {
        return Files.createDirectories(home.resolve("logs"));
    }

    /** Throws {@link Interrupted} when the user interrupted the cell; long loops call this often. */
    public void checkInterrupted() {
        checkInterrupted(null);
    }

    /** As {@link #checkInterrupted()}; {@code what} names the work in the message (null: the command's name). */
    public void checkInterrupted(String what) {
        if (cancelled || Thread.currentThread().isInterrupted()) {
            cancel();
            throw new Interrupted(what);
        }
    }

    /** Marks the command as stopping: the notebook drops whatever it would still print. */
    public void cancel() {
        if (!cancelled) {
            cancelled = true;
            onCancel.run();
        }
    }

    public boolean cancelled() {
        return cancelled;
    }

    /** Appends a stack trace to {@code <home>/logs/llamagic.log} and returns that path. */
    public Path logError(String command, Throwable t) {
        try {
            Path log = logs().resolve("llamagic.log");
            StringWriter w = new StringWriter();
            t.printStackTrace(new PrintWriter(w));
            Files.writeString(log, LocalDateTime.now() + " " + command + "\n" + w + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return log;
        } catch (IOException e) {
            return null;
        }
    }
}
