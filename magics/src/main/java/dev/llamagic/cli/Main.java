package dev.llamagic.cli;

import dev.llamagic.magic.Commands;
import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import java.util.Arrays;
import java.util.List;

/** The same commands from a terminal: {@code java -jar llamagic.jar <command> [args...]}. */
public final class Main {
    private Main() {}

    public static void main(String[] argv) {
        // Tablesaw brings SLF4J without a provider: keep its start-up warning off the terminal
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        TerminalNotebook nb = TerminalNotebook.system();
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h")) {
            nb.print("usage: java -jar llamagic.jar <command> [options]   (commands: "
                    + String.join(", ", Commands.all().stream().map(Commands.Info::name).toList()) + ")");
            return argv.length == 0 ? 2 : 0;
        }
        Thread main = Thread.currentThread();
        Context ctx = Context.of(nb, "terminal");
        // Ctrl-C: interrupt the command so it kills its children, then let it finish cleaning up
        Thread hook = new Thread(() -> {
            ctx.cancel();
            main.interrupt();
            try {
                main.join(10_000);
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
        }, "llamagic-sigint");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Commands.Info info = Commands.find(argv[0]);
            List<String> args = Arrays.asList(argv).subList(1, argv.length);
            Commands.run(info, args, null, ctx);
            return 0;
        } catch (UserError e) {
            nb.warn("error: " + e.getMessage());
            return 1;
        } finally {
            ctx.session().close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
    }
}
