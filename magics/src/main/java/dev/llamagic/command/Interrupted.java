package dev.llamagic.command;

/** The user interrupted the cell (or pressed Ctrl-C): the command stopped and cleaned up after itself. */
public final class Interrupted extends UserError {
    public Interrupted(String what) {
        super(what + " was interrupted");
    }
}
