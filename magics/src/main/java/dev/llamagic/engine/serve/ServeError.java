package dev.llamagic.engine.serve;

import dev.llamagic.core.UserError;

/**
 * A refusal or failure of the serve engine, in engine terms, with its {@link Kind} and the thing it is about
 * ({@link #subject()}: a server name, a flag, a port), so that the magic layer can say how to fix it with its own
 * options.
 */
public class ServeError extends UserError {
    /** What went wrong. */
    public enum Kind {
        /** The port belongs to one of this session's servers (subject: its name). */
        PORT_TAKEN_BY_SERVER,
        /** The port belongs to another process (subject: the port). */
        PORT_TAKEN,
        /** A running server already has the name (subject: the name). */
        NAME_TAKEN,
        /** Nothing can listen on the host (subject: the host). */
        BAD_HOST,
        /** The port is not 1..65535 (subject: the port). */
        BAD_PORT,
        /** Flash attention is not on, off or auto (subject: the value). */
        BAD_FLASH_ATTENTION,
        /** A raw flag the binary does not know (subject: the flag). */
        UNKNOWN_FLAG,
        /** A raw flag that llamagic sets itself (-m, --host, --port, --api-key; subject: the flag). */
        RESERVED_FLAG,
        /** Safetensors weights where a GGUF is wanted (subject: what to convert, or null). */
        NOT_CONVERTED,
        /** No file, directory or download of that name (subject: the name). */
        NOT_DOWNLOADED,
        /** The server was not ready in time and was stopped (subject: the server's name). */
        NOT_READY,
        /** Anything else. */
        OTHER
    }

    private final Kind kind;
    private final String subject;

    public ServeError(Kind kind, String subject, String message) {
        super(message);
        this.kind = kind;
        this.subject = subject;
    }

    public Kind kind() {
        return kind;
    }

    public String subject() {
        return subject;
    }
}
