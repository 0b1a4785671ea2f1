package dev.llamagic.core;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A child process in a process group of its own (started through {@code setsid}), its merged output pumped
 * line by line to a log file and a listener, the last lines kept for error messages. Killing it kills the
 * whole tree: the group, and every descendant seen, so a build's compilers die with its ninja.
 */
public final class ChildProcess implements AutoCloseable {
    private static final int TAIL = 200;
    private static final boolean HAS_SETSID = Files.isExecutable(Path.of("/usr/bin/setsid"))
            || Files.isExecutable(Path.of("/bin/setsid"));

    private final Process process;
    private final Thread pump;
    private final Deque<String> tail = new ArrayDeque<>();
    private final List<String> command;

    private ChildProcess(Process process, List<String> command, Path log, Consumer<String> onLine) {
        this.process = process;
        this.command = command;
        this.pump = new Thread(() -> pump(log, onLine), "llamagic-pump-" + process.pid());
        this.pump.setDaemon(true);
        this.pump.start();
    }

    /**
     * Starts {@code command} in {@code dir} with {@code extraEnv} added to this process's environment.
     * Output (stdout and stderr merged) goes to {@code log} (appended, may be null) and to {@code onLine}.
     */
    public static ChildProcess start(List<String> command, Path dir, Map<String, String> extraEnv,
                                     Path log, Consumer<String> onLine) throws IOException {
        return start(command, dir, extraEnv, log, onLine, false);
    }

    /**
     * Like {@link #start}, but the child's stdin is a pipe from this JVM that nothing is ever written to: the
     * child reads end-of-file there as soon as this JVM is gone, whatever the way (exit, crash, {@code kill -9}),
     * since the kernel closes the pipe's only write end. A long-lived child (a server) watches its stdin to
     * die with its owner.
     */
    public static ChildProcess startWithLifeline(List<String> command, Path dir, Map<String, String> extraEnv,
                                                 Path log, Consumer<String> onLine) throws IOException {
        return start(command, dir, extraEnv, log, onLine, true);
    }

    private static ChildProcess start(List<String> command, Path dir, Map<String, String> extraEnv,
                                      Path log, Consumer<String> onLine, boolean lifeline) throws IOException {
        if (which(command.get(0), extraEnv) == null) {
            throw new UserError("cannot run " + command.get(0) + ": no such program (not found on PATH)");
        }
        List<String> argv = new ArrayList<>();
        if (HAS_SETSID) argv.add("setsid");
        argv.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        if (dir != null) pb.directory(dir.toFile());
        if (extraEnv != null) pb.environment().putAll(extraEnv);
        if (log != null) Files.createDirectories(log.toAbsolutePath().getParent());
        if (!lifeline) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            return new ChildProcess(pb.start(), command, log, onLine == null ? l -> {} : onLine);
        } catch (IOException e) {
            throw new UserError("cannot run " + command.get(0) + ": " + e.getMessage());
        }
    }

    /** The executable {@code program} resolves to (a path, or a name looked up on PATH), or null. */
    public static Path which(String program, Map<String, String> env) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isExecutable(p) && !Files.isDirectory(p) ? p : null;
        }
        String path = env != null && env.containsKey("PATH") ? env.get("PATH") : System.getenv("PATH");
        if (path == null) return null;
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, program);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return p;
        }
        return null;
    }

    private void pump(Path log, Consumer<String> onLine) {
        BufferedWriter w = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            if (log != null) {
                w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL) tail.removeFirst();
                }
                if (w != null) {
                    w.write(line);
                    w.newLine();
                    w.flush();
                }
                try {
                    onLine.accept(line);
                } catch (RuntimeException ignored) {
                    // a listener's failure must not stop the log
                }
            }
        } catch (IOException ignored) {
            // the process went away
        } finally {
            if (w != null) {
                try {
                    w.close();
                } catch (IOException ignored) {
                    // nothing left to do
                }
            }
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Process process() {
        return process;
    }

    /** Waits for the exit; an interrupt (or {@code ctx} cancelled) kills the tree and throws {@link Interrupted}. */
    public int waitFor(Context ctx, String what) {
        try {
            while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
                if (ctx != null) ctx.checkInterrupted(what);
                else if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
            }
            pump.join(2000);
            return process.exitValue();
        } catch (InterruptedException e) {
            if (ctx != null) ctx.cancel();
            killTree();
            throw new Interrupted(what);
        } catch (Interrupted e) {
            killTree();
            throw e;
        }
    }

    /** The last lines of output (at most n). */
    public List<String> tail(int n) {
        synchronized (tail) {
            List<String> all = new ArrayList<>(tail);
            return all.subList(Math.max(0, all.size() - n), all.size());
        }
    }

    /** SIGTERM to the group and all descendants, then SIGKILL to whatever is left after a grace period. */
    public void killTree() {
        boolean wasInterrupted = Thread.interrupted();
        try {
            List<ProcessHandle> seen = new ArrayList<>(process.descendants().toList());
            signalGroup("TERM");
            process.destroy();
            seen.forEach(ProcessHandle::destroy);
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < deadline && (process.isAlive() || seen.stream().anyMatch(ProcessHandle::isAlive))) {
                seen.addAll(process.descendants().toList());
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    wasInterrupted = true;
                }
            }
            seen.addAll(process.descendants().toList());
            signalGroup("KILL");
            process.destroyForcibly();
            seen.forEach(ProcessHandle::destroyForcibly);
            try {
                process.waitFor(2, TimeUnit.SECONDS);
                pump.join(1000);
            } catch (InterruptedException e) {
                wasInterrupted = true;
            }
        } finally {
            if (wasInterrupted) Thread.currentThread().interrupt();
        }
    }

    private void signalGroup(String signal) {
        if (!HAS_SETSID) return;
        try {
            // setsid made the child a group leader: its pgid is its pid
            new ProcessBuilder("kill", "-" + signal, "--", "-" + process.pid())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor(2, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException ignored) {
            // best effort: descendants are killed one by one as well
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) killTree();
    }

    public List<String> command() {
        return command;
    }

    /** The result of a short command run to completion. */
    public record Result(int exit, String output) {
        public boolean ok() {
            return exit == 0;
        }

        /** The first non-blank line of the output, trimmed; {@code fallback} when there is none. */
        public String firstLine(String fallback) {
            return output.lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse(fallback);
        }

        /** The last non-blank line of the output, trimmed; {@code fallback} when there is none. */
        public String lastLine(String fallback) {
            List<String> l = output.lines().map(String::trim).filter(x -> !x.isEmpty()).toList();
            return l.isEmpty() ? fallback : l.get(l.size() - 1);
        }
    }

    /** Runs a short command (a probe like {@code nvidia-smi} or {@code --version}), bounded by {@code timeout}. */
    public static Result run(List<String> command, Path dir, Duration timeout) throws IOException {
        StringBuilder out = new StringBuilder();
        try (ChildProcess p = start(command, dir, null, null, l -> {
            synchronized (out) {
                out.append(l).append('\n');
            }
        })) {
            try {
                if (!p.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.killTree();
                    throw new UserError(command.get(0) + " did not answer within " + timeout.toSeconds() + " s");
                }
                p.pump.join(2000);
            } catch (InterruptedException e) {
                p.killTree();
                Thread.currentThread().interrupt();
                throw new Interrupted(command.get(0));
            }
            synchronized (out) {
                return new Result(p.process.exitValue(), out.toString());
            }
        }
    }
}
