package dev.llamagic.kernel;

import dev.llamagic.core.Context;
import dev.llamagic.core.Session;
import dev.llamagic.core.Notebook;
import org.dflib.jjava.jupyter.kernel.BaseKernel;

/**
 * The Java API's door to the notebook: {@code Cell.context()} in a cell gives a {@link Context} whose
 * {@link Notebook} draws into that cell, e.g. {@code Cell.notebook().progress("x", 100, Progress.Unit.COUNT)}.
 */
public final class Cell {
    private static volatile BaseKernel kernel;
    private static volatile String host = "JJava";

    private Cell() {}

    private static volatile Session session;

    static void bind(BaseKernel k, String hostName, Session s) {
        kernel = k;
        host = hostName;
        session = s;
    }

    static void unbind() {
        Session s = session;
        if (s != null) s.close();
    }

    /** This kernel's session: the servers and chat sessions every cell shares. */
    public static Session session() {
        Session s = session;
        if (s == null) throw new IllegalStateException("the llamagic extension is not installed in this kernel");
        return s;
    }

    /** A notebook bound to the calling cell's thread. */
    public static Notebook notebook() {
        BaseKernel k = kernel;
        if (k == null) throw new IllegalStateException("the llamagic extension is not installed in this kernel");
        return new JupyterNotebook(k, Thread.currentThread());
    }

    /** A context for calling the engine from plain Java in a cell. */
    public static Context context() {
        JupyterNotebook nb = (JupyterNotebook) notebook();
        return new Context(nb, System.getenv(), host, nb::close, session());
    }
}
