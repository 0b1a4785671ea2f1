package dev.llamagic.magic.bench;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.bench.BenchSpec;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Finds the server {@code %bench --server NAME} (or plain {@code %bench}) means, in a registry of servers
 * ({@code %serve}'s in {@link BenchCommand#targets()}).
 */
@FunctionalInterface
public interface BenchTargets {
    /**
     * The spec of the server named {@code name}, or of the most recently started one when {@code name} is null,
     * still to be completed with the workload. Throws {@link UserError} (one line, without the command's name)
     * when there is no such server.
     */
    BenchSpec.Builder resolve(String name);

    /**
     * A resolver over a registry of servers: {@code byName} and {@code latest} return null when there is none,
     * {@code toSpec} describes one.
     */
    static <T> BenchTargets of(Function<String, T> byName, Supplier<T> latest, Function<T, BenchSpec.Builder> toSpec) {
        return name -> {
            T s = name == null ? latest.get() : byName.apply(name);
            if (s == null) {
                throw new UserError(name == null ? "no server is running: start one with %serve, or pass --url"
                        : "no server named '" + name + "'; start it with %serve, or pass --url");
            }
            return toSpec.apply(s);
        };
    }
}
