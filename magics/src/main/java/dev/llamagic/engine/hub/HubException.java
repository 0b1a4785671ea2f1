package dev.llamagic.engine.hub;

/** A failure the hub explained (unknown model, refused token, ...): its message is one sentence for the user. */
public final class HubException extends RuntimeException {
    private final int status;

    public HubException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    /** The hub did not answer at all (no network, DNS, refused, timed out): the next step is the network or the endpoint. */
    public static final class Unreachable extends dev.llamagic.core.UserError {
        public Unreachable(String message) {
            super(message);
        }
    }

    /** The HTTP status behind it (0 when none). */
    public int status() {
        return status;
    }
}
