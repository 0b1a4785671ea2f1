package dev.llamagic.magic.dsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The spellings %dsw accepts: subcommands, the target options before or after them, info by default. */
class DswCommandParseTest {
    record Parsed(String sub, DswCommand.Target target, Object command) {}

    static Parsed parse(String... args) {
        DswCommand d = new DswCommand();
        CommandLine cl = new CommandLine(d);
        CommandLine.ParseResult r = cl.parseArgs(args);
        CommandLine.ParseResult sub = r.subcommand();
        if (sub == null) return new Parsed(null, d.target, null);
        Object o = sub.commandSpec().userObject();
        return new Parsed(sub.commandSpec().name(), d.target, o);
    }

    @Test
    void targetOptionsBeforeOrAfterTheSubcommand() {
        Parsed a = parse("--instance", "dsw-1", "--region", "cn-x", "snapshot", "--name", "v1");
        assertEquals("snapshot", a.sub());
        assertEquals("dsw-1", a.target().instance);
        assertEquals("cn-x", a.target().region);
        assertEquals("v1", ((DswCommand.Snapshot) a.command()).name);
        Parsed b = parse("info", "--instance", "dsw-2", "--vpc");
        assertEquals("dsw-2", b.target().instance);
        assertTrue(b.target().vpc);
        Parsed c = parse("--instance", "dsw-1", "stop", "--instance", "dsw-3", "--yes", "--save-image");
        assertEquals("dsw-3", c.target().instance, "the one after the subcommand wins");
        assertTrue(((DswCommand.Stop) c.command()).yes);
    }

    @Test
    void noSubcommandIsInfoAndTimerTakesADuration() {
        Parsed a = parse("--instance", "dsw-1");
        assertNull(a.sub());
        assertEquals("dsw-1", a.target().instance);
        assertEquals("2h", ((DswCommand.Timer) parse("timer", "2h").command()).duration);
        assertTrue(((DswCommand.Timer) parse("timer", "--cancel").command()).cancel);
        assertEquals("list", parse("list").sub());
        assertEquals("snapshots", parse("snapshots").sub());
        assertThrows(CommandLine.ParameterException.class, () -> parse("bogus"));
    }
}
