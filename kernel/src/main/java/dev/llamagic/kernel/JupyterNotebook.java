package dev.llamagic.kernel;

import dev.llamagic.core.Notebook;
import java.util.UUID;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;

/**
 * The notebook side of {@link Notebook}: lines as stream output, blocks as {@code display_data}, live views
 * as a display updated in place with {@code update_display_data}. Bound to one cell: once the cell ends or
 * is interrupted, everything is dropped, so nothing leaks into the next cell.
 */
final class JupyterNotebook implements Notebook {
    /** ZMQ sockets are not thread-safe: every publish from any of our threads goes through this lock. */
    private static final Object PUBLISH = new Object();

    private final BaseKernel kernel;
    private final Thread owner;
    private volatile boolean open = true;

    JupyterNotebook(BaseKernel kernel, Thread owner) {
        this.kernel = kernel;
        this.owner = owner;
    }

    /** From now on output is dropped: the cell ended or was interrupted. */
    void close() {
        open = false;
    }

    private boolean accepting() {
        return open && !owner.isInterrupted();
    }

    @Override
    public void print(String line) {
        synchronized (PUBLISH) {
            if (!accepting()) return;
            kernel.getIO().out.println(line);
            kernel.getIO().out.flush();
        }
    }

    @Override
    public void warn(String line) {
        synchronized (PUBLISH) {
            if (!accepting()) return;
            kernel.getIO().err.println(line);
            kernel.getIO().err.flush();
        }
    }

    @Override
    public void html(String html, String text) {
        synchronized (PUBLISH) {
            if (!accepting()) return;
            kernel.getIO().out.flush();
            kernel.display(data(html, text, null));
        }
    }

    @Override
    public LiveView live(String html, String text) {
        String id = "llamagic-" + UUID.randomUUID();
        synchronized (PUBLISH) {
            if (accepting()) {
                kernel.getIO().out.flush();
                kernel.display(data(html, text, id));
            }
        }
        return (h, t) -> {
            synchronized (PUBLISH) {
                if (!accepting()) return;
                kernel.getIO().display.updateDisplay(id, data(h, t, id));
            }
        };
    }

    private static DisplayData data(String html, String text, String displayId) {
        DisplayData d = new DisplayData();
        d.putText(text);
        d.putHTML(html);
        // works on JJava 1.0-a6 and later (setDisplayId changed its return type after a6)
        if (displayId != null) d.putTransientData("display_id", displayId);
        return d;
    }
}
