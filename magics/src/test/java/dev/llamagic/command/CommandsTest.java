package dev.llamagic.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandsTest {
    @TempDir
    Path home;

    private Context ctx(RecordingNotebook nb, String host) {
        return new Context(nb, Map.of("LLAMAGIC_HOME", home.toString()), host, null);
    }

    @Test
    void everyRegisteredCommandHasANameASummaryAndHelp() {
        List<Commands.Info> all = Commands.all();
        assertTrue(all.stream().anyMatch(i -> i.name().equals("llamagic")));
        for (Commands.Info i : all) {
            assertFalse(i.summary().isBlank(), i.name());
            RecordingNotebook nb = new RecordingNotebook();
            Commands.run(i, List.of("--help"), null, ctx(nb, "JJava test"));
            assertTrue(nb.all().contains("Usage: " + i.name()), nb.all());
        }
    }

    @Test
    void anUnknownFlagIsOneLineNamingTheMagic() {
        RecordingNotebook nb = new RecordingNotebook();
        UserError e = assertThrows(UserError.class,
                () -> Commands.run(Commands.find("llamagic"), List.of("--bogus"), null, ctx(nb, "JJava test")));
        assertEquals("%llamagic: Unknown option: '--bogus' (see %llamagic --help)", e.getMessage());
        assertEquals(0, e.getStackTrace().length, "no stack trace for the user's mistakes");
    }

    @Test
    void inATerminalTheCommandIsNamedWithoutPercent() {
        UserError e = assertThrows(UserError.class, () -> Commands.run(Commands.find("llamagic"),
                List.of("--bogus"), null, ctx(new RecordingNotebook(), "terminal")));
        assertTrue(e.getMessage().startsWith("llamagic: "), e.getMessage());
    }

    @Test
    void llamagicListsItselfAndTheVersions() {
        RecordingNotebook nb = new RecordingNotebook();
        Commands.run(Commands.find("llamagic"), List.of(), null, ctx(nb, "JJava 9"));
        assertTrue(nb.all().contains("%llamagic"));
        assertTrue(nb.all().contains("JJava 9"));
        assertTrue(nb.all().contains(home.toString()));
    }

    @Test
    void anUnexpectedFailureIsOneLineWithTheLogPath() {
        Context c = ctx(new RecordingNotebook(), "JJava test");
        Path log = c.logError("%x", new IllegalStateException("boom"));
        assertTrue(Files.exists(log));
        assertTrue(log.startsWith(home));
    }

    @Test
    void unknownCommand() {
        UserError e = assertThrows(UserError.class, () -> Commands.find("nope"));
        assertTrue(e.getMessage().contains("unknown command 'nope'"));
    }
}
