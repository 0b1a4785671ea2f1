package dev.llamagic.kernel;

import dev.llamagic.magic.Commands;
import dev.llamagic.core.Context;
import dev.llamagic.core.Session;
import dev.llamagic.util.Html;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import org.dflib.jjava.jupyter.Extension;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.display.mime.MIMEType;
import org.dflib.jjava.jupyter.kernel.magic.CellMagic;
import org.dflib.jjava.jupyter.kernel.magic.LineMagic;
import tech.tablesaw.api.Table;

/** Registers every llamagic command as a line magic (and a cell magic where it takes a body). */
public final class LlamagicExtension implements Extension {

    @Override
    public void install(BaseKernel kernel) {
        // Tablesaw brings SLF4J without a provider: keep its start-up warning out of the user's first cell
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        String host = hostName();
        for (Commands.Info info : Commands.all(LlamagicExtension.class.getClassLoader())) {
            kernel.getMagicsRegistry().registerLineMagic(info.name(),
                    (LineMagic<Object, BaseKernel>) (k, args) -> invoke(k, host, info, args, null));
            if (info.acceptsBody()) {
                kernel.getMagicsRegistry().registerCellMagic(info.name(),
                        (CellMagic<Object, BaseKernel>) (k, args, body) -> invoke(k, host, info, args, body));
            }
        }
        kernel.getRenderer().createRegistration(Table.class)
                .preferring(MIMEType.TEXT_HTML)
                .supporting(MIMEType.TEXT_PLAIN)
                .register((table, ctx) -> {
                    ctx.renderIfRequested(MIMEType.TEXT_HTML, () -> Html.table(table));
                    ctx.renderIfRequested(MIMEType.TEXT_PLAIN, table::printAll);
                });
        Cell.bind(kernel, host, new Session());
        warmUp(kernel);
    }

    /**
     * A fresh kernel's first cell paid for JShell's first compile with our jar on its class path (javac opening
     * and indexing the jar's 30,000 entries) and for our first command (picocli's model of it). Both are paid
     * while the kernel starts: ours on a background thread, JShell's here (JShell is not thread-safe; at start no
     * cell runs yet). Installed from a cell ({@code %jars}), JShell is busy running that cell: no warm-up there.
     */
    private static void warmUp(BaseKernel kernel) {
        Thread t = new Thread(Commands::warmUp, "llamagic-warm-up");
        t.setDaemon(true);
        t.start();
        if (calledFromACell()) return;
        try {
            kernel.evalRaw(WARM_UP_SNIPPET);
        } catch (Exception ignored) {
            // only a warm-up: a failure here changes nothing for the cells
        }
    }

    /** A statement (it leaves no {@code $1} variable) that makes JShell compile against a class of our jar. */
    static final String WARM_UP_SNIPPET = "if (dev.llamagic.kernel.Cell.class == null) Thread.onSpinWait();";

    /** JShell runs a cell's code in classes of its package {@code REPL}. */
    private static boolean calledFromACell() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getClassName().startsWith("REPL.")));
    }

    /** The kernel is going away: stop every server this kernel started and drop its chat sessions. */
    @Override
    public void uninstall(BaseKernel kernel) {
        Cell.unbind();
    }

    private static Object invoke(BaseKernel kernel, String host, Commands.Info info, List<String> args, String body) {
        JupyterNotebook nb = new JupyterNotebook(kernel, Thread.currentThread());
        Context ctx = new Context(nb, System.getenv(), host, nb::close, Cell.session());
        try {
            Commands.run(info, NotebookVariables.of(kernel).expand(args), body, ctx);
            return null;
        } catch (UserError e) {
            throw new MagicFailed(e.getMessage());
        } finally {
            nb.close();
        }
    }

    /** "JJava 1.0-a8", read off the running kernel's jar. */
    static String hostName() {
        for (String artifact : new String[] {"jjava-kernel", "jjava-jupyter", "jjava"}) {
            try (InputStream in = BaseKernel.class.getClassLoader()
                    .getResourceAsStream("META-INF/maven/org.dflib.jjava/" + artifact + "/pom.properties")) {
                if (in == null) continue;
                Properties p = new Properties();
                p.load(in);
                return "JJava " + p.getProperty("version", "?");
            } catch (IOException ignored) {
                // try the next artifact
            }
        }
        return "JJava (unknown version)";
    }
}
