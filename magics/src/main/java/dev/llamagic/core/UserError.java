package dev.llamagic.core;

/**
 * A mistake the user can fix, or a failure explained in one sentence: shown as one line, never as a stack trace.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message, null, false, false);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    private java.util.List<String> hint = java.util.List.of();

    /**
     * Marks what would fix this in the caller's terms: the engine names no magic and no flag, so it gives a key
     * (and its arguments) and the magic layer adds its own words ("run %build-llama first").
     */
    public UserError hint(String key, String... args) {
        java.util.List<String> h = new java.util.ArrayList<>();
        h.add(key);
        h.addAll(java.util.List.of(args));
        this.hint = java.util.List.copyOf(h);
        return this;
    }

    /** The hint's key followed by its arguments; empty when there is none. */
    public java.util.List<String> hint() {
        return hint;
    }
}
