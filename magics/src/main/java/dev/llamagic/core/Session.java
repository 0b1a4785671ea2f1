package dev.llamagic.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What lives as long as one kernel or one CLI run: the servers it started, its chat sessions, anything else a
 * capability keeps between commands. Each capability keeps one part, found by its class
 * ({@code ctx.session().part(Servers.class, Servers::new)}); {@link #close()} closes the parts newest first. The
 * kernel extension creates the session in {@code install} and closes it in {@code uninstall}; the CLI closes it
 * when its command ends; a JVM shutdown hook closes whatever is still open.
 */
public final class Session implements AutoCloseable {
    private final Map<Class<?>, Object> parts = new LinkedHashMap<>();
    private boolean closed;
    private boolean hooked;
    private final Thread hook = new Thread(this::close, "llamagic-session-close");

    /** The part of type {@code type}, made by {@code create} the first time it is asked for. */
    public synchronized <T> T part(Class<T> type, Supplier<? extends T> create) {
        if (closed) throw new IllegalStateException("the llamagic session is closed");
        if (!hooked) {
            hooked = true;
            try {
                Runtime.getRuntime().addShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down
            }
        }
        return type.cast(parts.computeIfAbsent(type, k -> create.get()));
    }

    /** The part of type {@code type} if one was made. */
    public synchronized <T> T existing(Class<T> type) {
        return type.cast(parts.get(type));
    }

    public synchronized boolean closed() {
        return closed;
    }

    /** Closes every {@link AutoCloseable} part, newest first; a part that fails to close does not stop the others. */
    @Override
    public void close() {
        List<Object> toClose;
        synchronized (this) {
            if (closed) return;
            closed = true;
            toClose = new ArrayList<>(parts.values());
            parts.clear();
        }
        for (int i = toClose.size() - 1; i >= 0; i--) {
            if (toClose.get(i) instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // best effort: the other parts still close
                }
            }
        }
        if (hooked && Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // shutting down: the hook runs anyway and finds the session closed
            }
        }
    }
}
