package dev.llamagic.engine.bench;

import dev.llamagic.magic.bench.BenchCommand;

import dev.llamagic.core.UserError;

/**
 * Finds the server {@code %bench --server NAME} (or plain {@code %bench}) means. The serve registry
 * provides the real one; {@link #URL_ONLY} knows no servers and says to pass {@code --url}.
 */
@FunctionalInterface
public interface BenchTargets {
    /**
     * The target for a server name, or for the most recently started server when {@code name} is null.
     * Throws {@link UserError} (one line, starting with {@code prefix}) when there is no such server.
     */
    BenchTarget resolve(String name, String prefix);

    /**
     * A resolver over a registry of servers: {@code byName} and {@code latest} return null when there is none,
     * {@code toTarget} describes one. At merge, in {@code BenchCommand.targets()}:
     * {@code return BenchTargets.of(Servers::get, Servers::latest, s -> new BenchTarget(s.name(), s.baseUrl(), s.apiKey(), s.modelPath(), s.pid(), s.slots()));}
     */
    static <T> BenchTargets of(java.util.function.Function<String, T> byName, java.util.function.Supplier<T> latest,
                               java.util.function.Function<T, BenchTarget> toTarget) {
        return (name, prefix) -> {
            T s = name == null ? latest.get() : byName.apply(name);
            if (s == null) {
                throw new UserError(prefix + ": " + (name == null ? "no server is running: start one with %serve, or pass --url"
                        : "no server named '" + name + "'; start it with %serve, or pass --url"));
            }
            return toTarget.apply(s);
        };
    }

    BenchTargets URL_ONLY = (name, prefix) -> {
        throw new UserError(prefix + ": " + (name == null ? "no server to measure" : "no server named '" + name + "'")
                + ": pass --url http://127.0.0.1:PORT of a running llama-server (or start one with %serve)");
    };
}
