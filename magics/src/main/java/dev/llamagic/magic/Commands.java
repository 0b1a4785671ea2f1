package dev.llamagic.magic;

import dev.llamagic.core.Context;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.UserError;
import dev.llamagic.core.Version;
import dev.llamagic.util.Html;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import picocli.CommandLine;

/** Finds the commands (ServiceLoader) and runs one: parse, help, one-line errors, stack traces to the log. */
public final class Commands {
    /**
     * One command runs at a time in a process. JJava answers an interrupt at once, while the interrupted
     * command's thread is still stopping (cancelling transfers, saving its resume state, killing children); the
     * next magic waits here until that is done, so a cell re-run right after an interrupt never works on the same
     * files or servers as the command that is still stopping.
     */
    private static final ReentrantLock RUNNING = new ReentrantLock();
    private static volatile String runningPrefix;

    private Commands() {}

    /** One registered command. */
    public record Info(String name, String summary, boolean acceptsBody, Class<? extends MagicCommand> type) {}

    /** The commands of this class's loader, read once per process: a CLI run asks for them twice. */
    private static volatile List<Info> registered;

    public static List<Info> all() {
        List<Info> l = registered;
        if (l == null) registered = l = load(Commands.class.getClassLoader());
        return l;
    }

    public static List<Info> all(ClassLoader loader) {
        return loader == Commands.class.getClassLoader() ? all() : load(loader);
    }

    private static List<Info> load(ClassLoader loader) {
        List<Info> infos = new ArrayList<>();
        for (ServiceLoader.Provider<MagicCommand> p : ServiceLoader.load(MagicCommand.class, loader).stream().toList()) {
            Class<? extends MagicCommand> type = p.type();
            CommandLine.Command c = type.getAnnotation(CommandLine.Command.class);
            if (c == null) throw new IllegalStateException(type + " lacks @Command");
            String summary = c.description().length > 0 ? c.description()[0] : "";
            infos.add(new Info(c.name(), summary, newInstance(type).acceptsBody(), type));
        }
        infos.sort(Comparator.comparing(Info::name));
        return List.copyOf(infos);
    }

    /**
     * The command named {@code name}; {@code %name} and {@code %%name} (as typed in a notebook) name it too. An
     * unknown name gets the nearest command as a hint, else the list.
     */
    public static Info find(String name) {
        String bare = name.replaceFirst("^%{1,2}", "");
        List<Info> all = all();
        for (Info i : all) if (i.name().equals(bare) || i.name().equals(bare.replace('_', '-'))) return i;
        String near = all.stream().map(Info::name)
                .filter(n -> dev.llamagic.util.Similar.editDistance(n, bare) <= Math.max(1, bare.length() / 3))
                .min(Comparator.comparingInt(n -> dev.llamagic.util.Similar.editDistance(n, bare))).orElse(null);
        throw new UserError("unknown command '" + name + "' ("
                + (near != null ? "did you mean " + near + "?" : "commands: " + String.join(", ", all.stream().map(Info::name).toList()))
                + ")");
    }

    /**
     * Loads what running a command needs (the commands' classes, picocli's model of each) without running one:
     * a kernel calls it on a background thread at start, so its first magic does not pay for it.
     */
    public static void warmUp() {
        try {
            for (Info i : all()) new CommandLine(newInstance(i.type())).setCaseInsensitiveEnumValuesAllowed(true);
        } catch (RuntimeException | LinkageError ignored) {
            // only a warm-up: the command that needs it reports the problem when it runs
        }
    }

    private static MagicCommand newInstance(Class<? extends MagicCommand> type) {
        try {
            Constructor<? extends MagicCommand> k = type.getDeclaredConstructor();
            k.setAccessible(true);
            return k.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + type, e);
        }
    }

    /**
     * Runs a command. Returns normally on success or after printing help; throws {@link UserError} (one line)
     * for anything that went wrong, {@link Interrupted} when the user stopped it.
     */
    public static void run(Info info, List<String> args, String body, Context ctx) {
        MagicCommand cmd = newInstance(info.type());
        CommandLine cl = new CommandLine(cmd);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        String prefix = prefix(info.name(), body, ctx);
        CommandLine.ParseResult parsed;
        try {
            parsed = cl.parseArgs(Spellings.normalize(cl, args).toArray(String[]::new));
        } catch (CommandLine.UnmatchedArgumentException e) {
            String line = Spellings.unknownOption(cl, e).orElse(firstLine(e.getMessage()));
            throw new UserError(prefix + ": " + line + " (see " + prefix + " --help)");
        } catch (CommandLine.ParameterException e) {
            throw new UserError(prefix + ": " + firstLine(e.getMessage()) + " (see " + prefix + " --help)");
        }
        if (parsed.isUsageHelpRequested()) {
            StringWriter w = new StringWriter();
            cl.usage(new PrintWriter(w), CommandLine.Help.Ansi.OFF);
            ctx.notebook().html(Html.pre(w.toString()), w.toString());
            return;
        }
        if (parsed.isVersionHelpRequested()) {
            ctx.notebook().print(Version.line(ctx.host()));
            return;
        }
        cmd.bind(ctx, body);
        try {
            awaitTurn(prefix, ctx);
        } catch (InterruptedException e) {
            ctx.cancel();
            throw new Interrupted(prefix);
        }
        runningPrefix = prefix;
        try {
            cmd.run();
        } catch (Interrupted e) {
            ctx.cancel();
            throw "interrupted".equals(e.getMessage()) ? new Interrupted(prefix) : e;
        } catch (InterruptedException e) {
            ctx.cancel();
            throw new Interrupted(prefix);
        } catch (UserError e) {
            throw named(prefix, e);
        } catch (Exception | Error e) {
            Path log = ctx.logError(prefix + " " + String.join(" ", args), e);
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : firstLine(e.getMessage());
            throw new UserError(prefix + " failed: " + why + (log == null ? "" : " (details in " + log + ")"), e);
        } finally {
            runningPrefix = null;
            RUNNING.unlock();
        }
    }

    /** Takes {@link #RUNNING}, saying once what it waits for; an interrupt while waiting gives up. */
    private static void awaitTurn(String prefix, Context ctx) throws InterruptedException {
        if (RUNNING.tryLock()) return;
        String other = runningPrefix;
        ctx.notebook().print("waiting for the interrupted " + (other == null ? "command" : other) + " to finish stopping … (interrupt this cell to give up)");
        while (!RUNNING.tryLock(100, TimeUnit.MILLISECONDS)) ctx.checkInterrupted(prefix);
    }

    /**
     * The engine's errors say what went wrong without naming a magic; the magic layer puts the command's name in
     * front ({@code %serve: no such file: …}). An error that already starts with it is left as it is.
     */
    static UserError named(String prefix, UserError e) {
        if (e instanceof Interrupted) return e;
        String m = e.getMessage() == null ? "" : e.getMessage();
        String hint = Hints.text(e);
        if (!hint.isEmpty() && m.endsWith(hint)) hint = "";
        String bare = prefix.replaceFirst("^%+", "");
        boolean named = m.startsWith(prefix) || m.startsWith("%" + bare) || m.startsWith(bare + ":") || m.startsWith(bare + " ");
        if (named && hint.isEmpty()) return e;
        return new UserError((named ? "" : prefix + ": ") + m + hint, e);
    }

    /** How the user typed the command: {@code %name} / {@code %%name} in a notebook, {@code name} in a terminal. */
    public static String prefix(String name, String body, Context ctx) {
        if ("terminal".equals(ctx.host())) return name;
        return (body == null ? "%" : "%%") + name;
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
