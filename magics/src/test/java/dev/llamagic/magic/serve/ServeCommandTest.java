package dev.llamagic.magic.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.Session;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.serve.LlamaServer;
import dev.llamagic.engine.serve.Servers;
import dev.llamagic.engine.serve.SleepingServers;
import dev.llamagic.magic.Commands;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code %serve}'s modes (--list, --stop, --restart, --logs, --server-help): parsed as one exclusive group, run on a real registry. */
class ServeCommandTest {
    @TempDir
    Path home;

    private final Session session = new Session();
    private final RecordingNotebook nb = new RecordingNotebook();
    private static final Commands.Info SERVE = new Commands.Info("serve", "", false, ServeCommand.class);

    @AfterEach
    void close() {
        session.close();
    }

    private Context ctx() {
        return new Context(nb, Map.of("LLAMAGIC_HOME", home.toString()), "JJava test", null, session);
    }

    private static ServeCommand parse(String... args) {
        ServeCommand c = new ServeCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    private String fails(String... args) {
        return assertThrows(UserError.class, () -> Commands.run(SERVE, List.of(args), null, ctx())).getMessage();
    }

    @Test
    void optionsAreCheckedBeforeTheModelOrTheBuild() {
        // no model file and no llama.cpp build here: the mistyped preset is what the user hears of first
        assertTrue(fails("nowhere.gguf", "--preset", "qwen4").startsWith("%serve: unknown preset 'qwen4'; did you mean qwen3?"),
                fails("nowhere.gguf", "--preset", "qwen4"));
        assertEquals("%serve: --port takes a number or auto (not 'eighty')", fails("nowhere.gguf", "--port", "eighty"));
    }

    @Test
    void theOldSpellingsParseIntoOneMode() {
        assertTrue(parse("--list").mode.list);
        assertEquals("all", parse("--stop", "all").mode.stop);
        assertEquals("q3", parse("--restart", "q3").mode.restart);
        ServeCommand logs = parse("--logs", "tiny", "--tail", "5");
        assertEquals("tiny", logs.mode.logs);
        assertEquals(5, logs.tail);
        assertTrue(parse("--server-help").mode.serverHelp);
        ServeCommand start = parse("m.gguf", "--port", "8080", "--", "-fa", "-t", "1");
        assertNull(start.mode);
        assertEquals("m.gguf", start.model);
        assertEquals(List.of("-fa", "-t", "1"), start.raw);
    }

    @Test
    void twoModesAreRefusedByTheParser() {
        assertThrows(CommandLine.MutuallyExclusiveArgsException.class, () -> parse("--list", "--stop", "x"));
        String line = fails("--list", "--logs", "x");
        assertTrue(line.startsWith("%serve: ") && line.contains("mutually exclusive") && line.endsWith("(see %serve --help)"), line);
    }

    @Test
    void aModelAndAModeOrNeitherAreOneLineErrors() {
        assertEquals("%serve: one thing at a time: a model, --list, --stop, --restart, --logs or --server-help",
                fails("m.gguf", "--list"));
        assertEquals("%serve: give a model (a .gguf file, a directory or a downloaded model's name), "
                + "or one of --list, --stop, --restart, --logs (see %serve --help)", fails());
    }

    @Test
    void withoutServers() {
        Commands.run(SERVE, List.of("--list"), null, ctx());
        Commands.run(SERVE, List.of("--stop", "all"), null, ctx());
        assertEquals(List.of("no servers started in this kernel (start one: %serve <model.gguf>)", "no servers to stop"), nb.lines);
        assertEquals("%serve: no server named 'nope' (none started: %serve <model.gguf>)", fails("--stop", "nope"));
        assertEquals("%serve: no server named 'nope' (none started: %serve <model.gguf>)", fails("--restart", "nope"));
        assertTrue(fails("--logs", "nope").startsWith("%serve: no server named 'nope' and no log "));
        assertEquals("%serve: --tail must be positive", fails("--logs", "nope", "--tail", "0"));
    }

    @Test
    void listAndStopTheSessionsServers() throws Exception {
        Servers servers = Servers.of(ctx());
        LlamaServer a = SleepingServers.add(servers, "a", 40001, home);
        LlamaServer b = SleepingServers.add(servers, "b", 40002, home);
        Commands.run(SERVE, List.of("--list"), null, ctx());
        String table = nb.blocks.get(0);
        assertTrue(table.contains("a.gguf") && table.contains("40002") && table.contains("loading")
                && table.contains("http://127.0.0.1:40001"), table);
        assertEquals("%serve: no server named 'c' (known: a, b)", fails("--stop", "c"));
        Commands.run(SERVE, List.of("--stop", "a"), null, ctx());
        assertEquals("stopped 'a' (pid " + a.pid() + ", port 40001)", nb.lines.get(nb.lines.size() - 1));
        assertTrue(SleepingServers.goneWithin(a, 10_000));
        Commands.run(SERVE, List.of("--logs", "b", "--tail", "1"), null, ctx());
        assertTrue(nb.blocks.get(1).startsWith(b.logFile() + " (last 1 lines)\n=== llamagic "), nb.blocks.get(1));
        Commands.run(SERVE, List.of("--stop", "all"), null, ctx());
        assertEquals("stopped 'b' (pid " + b.pid() + ", port 40002)", nb.lines.get(nb.lines.size() - 1));
        assertEquals(List.of(), servers.all());
    }
}
