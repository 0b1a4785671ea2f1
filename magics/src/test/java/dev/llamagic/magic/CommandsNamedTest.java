package dev.llamagic.magic;

import dev.llamagic.core.Interrupted;
import dev.llamagic.core.UserError;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The engine's errors name no magic; the magic layer puts the command in front, once. */
class CommandsNamedTest {
    @Test
    void anEngineErrorGetsTheCommandsName() {
        assertEquals("%serve: no such file: /x.gguf", Commands.named("%serve", new UserError("no such file: /x.gguf")).getMessage());
        assertEquals("serve: no such file: /x.gguf", Commands.named("serve", new UserError("no such file: /x.gguf")).getMessage());
    }

    @Test
    void anErrorThatAlreadyNamesItIsLeftAlone() {
        UserError e = new UserError("%serve: no such file");
        assertSame(e, Commands.named("%serve", e));
        UserError cell = new UserError("%%chat: empty body");
        assertSame(cell, Commands.named("%%chat", cell));
        UserError terminal = new UserError("serve: no such file");
        assertSame(terminal, Commands.named("serve", terminal));
    }

    @Test
    void interruptsKeepTheirWording() {
        Interrupted i = new Interrupted("conversion");
        assertSame(i, Commands.named("%to-gguf", i));
    }
}
