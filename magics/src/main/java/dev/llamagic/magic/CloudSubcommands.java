package dev.llamagic.magic;

import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.UserError;
import dev.llamagic.core.Version;
import dev.llamagic.engine.aliyun.AliyunCredentials;
import dev.llamagic.util.Html;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * What the Alibaba Cloud magics with subcommands ({@code %dsw}, {@code %eas}) share: running the parsed subcommand
 * (or the default one) with its name in front of the engine's lines, its help and version, and the places the
 * credential chain looked when it found nothing.
 */
public final class CloudSubcommands {
    private CloudSubcommands() {}

    /**
     * Runs the subcommand {@code spec} parsed, else {@code defaultName}/{@code defaultSub}: {@code execute} gets the
     * subcommand object and its prefix ("%eas status").
     */
    @SuppressWarnings("unchecked")
    public static <S> void run(CommandSpec spec, String base, Notebook out, Context ctx, String defaultName,
            S defaultSub, BiConsumer<S, String> execute) {
        ParseResult sub = spec.commandLine().getParseResult().subcommand();
        if (sub == null) {
            String prefix = base + " " + defaultName;
            named(prefix, () -> execute.accept(defaultSub, prefix));
            return;
        }
        CommandLine subLine = sub.commandSpec().commandLine();
        if (sub.isUsageHelpRequested()) {
            StringWriter w = new StringWriter();
            subLine.usage(new PrintWriter(w), CommandLine.Help.Ansi.OFF);
            out.html(Html.pre(w.toString()), w.toString());
            return;
        }
        if (sub.isVersionHelpRequested()) {
            out.print(Version.line(ctx.host()));
            return;
        }
        S command = (S) sub.commandSpec().userObject();
        String prefix = base + " " + sub.commandSpec().name();
        named(prefix, () -> execute.accept(command, prefix));
    }

    /**
     * Runs a subcommand, naming it in front of the engine's error lines ("%dsw info: access denied ...") and in
     * its interrupt ("%dsw snapshot was interrupted"): the engine's lines do not name the magic.
     */
    public static void named(String prefix, Runnable r) {
        try {
            r.run();
        } catch (Interrupted e) {
            throw "interrupted".equals(e.getMessage()) ? new Interrupted(prefix) : e;
        } catch (UserError e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            if (m.startsWith(prefix)) throw e;
            throw new UserError(prefix + ": " + m, e);
        }
    }

    /** Connects; when no credentials are found, where the chain looked goes above the error, one place a line. */
    public static <C> C connect(Notebook out, Supplier<C> connect) {
        try {
            return connect.get();
        } catch (AliyunCredentials.NoCredentials e) {
            out.print("looked for Alibaba Cloud credentials in:");
            for (String place : e.tried()) out.print("  " + place);
            throw e;
        }
    }
}
