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
    void anEngineHintBecomesTheMagicsWordsOnce() {
        UserError noBuild = new UserError("no llama.cpp build found under /h/builds").hint("build-first");
        assertEquals("%serve: no llama.cpp build found under /h/builds: run %build-llama first",
                Commands.named("%serve", noBuild).getMessage());
        UserError target = new UserError("llama-gguf-split is not in the llama.cpp build at /b").hint("build-target", "llama-gguf-split");
        assertEquals("%quantize: llama-gguf-split is not in the llama.cpp build at /b (build it with %build-llama --target llama-gguf-split)",
                Commands.named("%quantize", target).getMessage());
        // a magic that wrapped the engine's error with its own name still gets the hint, and only once
        UserError wrapped = new UserError("%dsw info: snapshot s-1 still Saving after 30 min; it goes on in the cloud",
                new UserError("snapshot s-1 still Saving after 30 min; it goes on in the cloud").hint("dsw-snapshots"));
        UserError once = Commands.named("%dsw info", wrapped);
        assertEquals("%dsw info: snapshot s-1 still Saving after 30 min; it goes on in the cloud (%dsw snapshots shows it)", once.getMessage());
        assertEquals(once.getMessage(), Commands.named("%dsw info", once).getMessage());
    }

    @Test
    void interruptsKeepTheirWording() {
        Interrupted i = new Interrupted("conversion");
        assertSame(i, Commands.named("%to-gguf", i));
    }
}
