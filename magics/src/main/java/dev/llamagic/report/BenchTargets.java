package dev.llamagic.report;

import dev.llamagic.command.UserError;

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

    BenchTargets URL_ONLY = (name, prefix) -> {
        throw new UserError(prefix + ": " + (name == null ? "no server to measure" : "no server named '" + name + "'")
                + ": pass --url http://127.0.0.1:PORT of a running llama-server (or start one with %serve)");
    };
}
