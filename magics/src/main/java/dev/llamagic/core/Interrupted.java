package dev.llamagic.core;

/** The user interrupted the cell (or pressed Ctrl-C): the command stopped and cleaned up after itself. */
public final class Interrupted extends UserError {
    /** Interrupted work; the magic layer names the command ("%ms-download was interrupted"). */
    public Interrupted() {
        super("interrupted");
    }

    public Interrupted(String what) {
        super(what == null ? "interrupted" : what + " was interrupted");
    }
}
