package dev.llamagic.engine.chat;

import java.io.EOFException;

/** What okhttp-sse's event streams need besides the library. */
public final class EventStreams {
    private EventStreams() {}

    /**
     * Whether a failure of an open event stream is its body ending inside an event (no line end after the last
     * line): okhttp-sse 4.12's reader then throws one of these instead of ending. Such a last event is dropped,
     * as the SSE standard says, and the stream counts as closed.
     */
    public static boolean endedInsideAnEvent(Throwable t) {
        return t instanceof EOFException || t instanceof IndexOutOfBoundsException || t instanceof IllegalArgumentException;
    }
}
