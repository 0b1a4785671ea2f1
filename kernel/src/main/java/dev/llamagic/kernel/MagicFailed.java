package dev.llamagic.kernel;

/**
 * How a failed magic reaches the cell as one line. JJava wraps every {@link Exception} a magic throws in a
 * RuntimeException with a stack trace ("Exception running line magic ..."); an {@link Error} passes through
 * unwrapped, and without a stack trace of its own this prints as the single line of its message.
 */
public final class MagicFailed extends Error {
    public MagicFailed(String message) {
        super(message, null, false, false);
    }
}
