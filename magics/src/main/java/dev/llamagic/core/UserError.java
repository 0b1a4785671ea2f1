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
}
