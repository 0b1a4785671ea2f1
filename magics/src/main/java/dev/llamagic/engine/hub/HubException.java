package dev.llamagic.engine.hub;

/** A failure the hub explained (unknown model, refused token, ...): its message is one sentence for the user. */
public final class HubException extends RuntimeException {
    private final int status;

    public HubException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    /** The HTTP status behind it (0 when none). */
    public int status() {
        return status;
    }
}
