package dev.llamagic.cli;

import dev.llamagic.core.Notebook;
import java.io.PrintStream;

/**
 * The terminal side of {@link Notebook}: plain lines, tables as text, live views redrawn with a carriage
 * return on a terminal, or printed every few seconds (and at the end) when output goes to a file.
 */
public final class TerminalNotebook implements Notebook {
    private static final long PIPE_INTERVAL_NANOS = 5_000_000_000L;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean tty;
    private Live current;

    public TerminalNotebook(PrintStream out, PrintStream err, boolean tty) {
        this.out = out;
        this.err = err;
        this.tty = tty;
    }

    public static TerminalNotebook system() {
        return new TerminalNotebook(System.out, System.err, System.console() != null);
    }

    @Override
    public synchronized void print(String line) {
        endLive();
        out.println(line);
        out.flush();
    }

    @Override
    public synchronized void warn(String line) {
        endLive();
        err.println(line);
        err.flush();
    }

    @Override
    public synchronized void html(String html, String text) {
        endLive();
        out.println(text);
        out.flush();
    }

    @Override
    public synchronized LiveView live(String html, String text) {
        endLive();
        current = new Live();
        current.update(html, text);
        return current;
    }

    private void endLive() {
        if (current != null && tty && current.drawn) out.println();
        current = null;
    }

    private final class Live implements LiveView {
        private boolean drawn;
        private long last;
        private String pending;

        @Override
        public void update(String html, String text) {
            synchronized (TerminalNotebook.this) {
                if (current != this) {
                    // an older view: print it as a plain line
                    out.println(text);
                    return;
                }
                if (tty) {
                    String oneLine = text.replace('\n', ' ');
                    out.print("\r" + oneLine + "\033[K");
                    out.flush();
                    drawn = true;
                } else {
                    long now = System.nanoTime();
                    pending = text;
                    if (!drawn || now - last >= PIPE_INTERVAL_NANOS || text.contains("done") || text.contains("FAILED")) {
                        out.println(pending);
                        out.flush();
                        last = now;
                        drawn = true;
                    }
                }
            }
        }
    }
}
