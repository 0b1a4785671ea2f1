package dev.llamagic.magic;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpellingsTest {
    @CommandLine.Command(name = "t")
    static class T implements Runnable {
        @CommandLine.Option(names = "--local_dir") String localDir;
        @CommandLine.Option(names = "--max-workers") Integer maxWorkers;
        @CommandLine.Option(names = "--fa") String fa;
        @CommandLine.Parameters(arity = "0..*") List<String> rest;

        @Override
        public void run() {}
    }

    @TempDir
    Path home;

    @Test
    void underscoreAndDashNameTheSameFlagBothWays() {
        CommandLine cl = new CommandLine(new T());
        assertEquals(List.of("--local_dir", "d", "--max-workers=4", "--local_dir=x"),
                Spellings.normalize(cl, List.of("--local-dir", "d", "--max_workers=4", "--local_dir=x")));
    }

    @Test
    void argumentsAfterADoubleDashAreLeftAlone() {
        CommandLine cl = new CommandLine(new T());
        assertEquals(List.of("m", "--", "--local-dir", "--max_workers"),
                Spellings.normalize(cl, List.of("m", "--", "--local-dir", "--max_workers")));
    }

    @Test
    void aMistypedFlagGetsTheNearestOne() {
        CommandLine cl = new CommandLine(new T());
        assertEquals(Optional.of("--local_dir"), Spellings.nearest(cl, "--local_dri"));
        assertEquals(Optional.of("--local_dir"), Spellings.nearest(cl, "--local"));
        assertEquals(Optional.of("--max-workers"), Spellings.nearest(cl, "--max-worker=3"));
        assertEquals(Optional.empty(), Spellings.nearest(cl, "--bogus"));
        assertEquals(Optional.empty(), Spellings.nearest(cl, "--fb"), "one letter off a short flag is another word");
    }

    private Context ctx() {
        return new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", home.toString()), "JJava test", null);
    }

    @Test
    void theRealDownloadMagicSaysDidYouMeanAndNamesOnlyTheFlag() {
        UserError e = assertThrows(UserError.class, () -> Commands.run(Commands.find("ms-download"),
                List.of("Qwen/Qwen3-0.6B", "--locl-dir", "/tmp/somewhere"), null, ctx()));
        assertEquals("%ms-download: Unknown option: '--locl-dir'; did you mean --local_dir? (see %ms-download --help)",
                e.getMessage());
    }

    @Test
    void aMagicTypedWithItsPercentIsFoundAndAnUnknownOneGetsTheNearest() {
        assertEquals("gpu", Commands.find("%gpu").name());
        assertEquals("chat", Commands.find("%%chat").name());
        assertEquals("build-llama", Commands.find("build_llama").name());
        UserError e = assertThrows(UserError.class, () -> Commands.find("serv"));
        assertTrue(e.getMessage().contains("did you mean serve?"), e.getMessage());
        UserError none = assertThrows(UserError.class, () -> Commands.find("zzzzzz"));
        assertTrue(none.getMessage().contains("commands: bench, build-llama"), none.getMessage());
    }
}
