package dev.llamagic.magic.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.Session;
import dev.llamagic.core.UserError;
import dev.llamagic.magic.Commands;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** %serve's GPU options: each bad value is one line naming the option, said before the model or the build is looked for. */
class ServeFitOptionsTest {
    @TempDir
    Path home;
    private final Session session = new Session();
    private static final Commands.Info SERVE = new Commands.Info("serve", "", false, ServeCommand.class);

    @AfterEach
    void close() {
        session.close();
    }

    private String fails(String... args) {
        Context ctx = new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", home.toString()), "JJava test", null, session);
        return assertThrows(UserError.class, () -> Commands.run(SERVE, List.of(args), null, ctx)).getMessage();
    }

    @Test
    void badValuesAreOneLine() {
        assertEquals("%serve: --gpus takes GPU numbers separated by commas, e.g. 0,1 (not '0;1')", fails("nowhere.gguf", "--gpus", "0;1"));
        assertEquals("%serve: --tensor-split takes proportions per GPU separated by commas, e.g. 3,1 (not 'three')",
                fails("nowhere.gguf", "--tensor-split", "three"));
        assertEquals("%serve: --split-mode takes none, layer, row, tensor (not 'rows')", fails("nowhere.gguf", "--split-mode", "rows"));
        assertEquals("%serve: --split-mode takes none, layer, row, tensor (not 'rows')", fails("nowhere.gguf", "--sm", "rows"));
        assertEquals("%serve: --cache-type takes f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1 (not 'q3_k')",
                fails("nowhere.gguf", "--cache-type", "q3_k"));
        assertEquals("%serve: --cache-type q4_0 quantizes the V cache, which needs flash attention: drop --fa off (or keep V at f16: "
                + "--cache-type q8_0,f16)", fails("nowhere.gguf", "--cache-type", "q8_0,q4_0", "--fa", "off"));
        assertEquals("%serve: --parallel must be 1 or more (not 0)", fails("nowhere.gguf", "--parallel", "0"));
        assertEquals("%serve: --draft-max must be 1 or more (not -2)", fails("nowhere.gguf", "--draft-max", "-2"));
    }

    @Test
    void theOptionsParse() {
        ServeCommand c = new ServeCommand();
        new CommandLine(c).parseArgs("m.gguf", "--fit", "--gpus", "0,1", "--split-mode", "row", "--tensor-split", "3,1",
                "--cache-type", "q8_0", "--draft", "d.gguf", "--draft-max", "8", "--parallel", "2", "--plan");
        assertTrue(c.fit && c.plan);
        assertEquals("0,1", c.gpus);
        assertEquals("row", c.sm);
        assertEquals("3,1", c.tensorSplit);
        assertEquals("q8_0", c.cacheType);
        assertEquals("d.gguf", c.draft);
        assertEquals(8, c.draftMax);
        assertEquals(2, c.parallel);
    }
}
