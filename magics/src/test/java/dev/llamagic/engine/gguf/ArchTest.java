package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The registry: every architecture is one class named in META-INF/services/dev.llamagic.engine.gguf.Arch. */
class ArchTest {
    @Test
    void theServicesFileListsEachArchitectureOnceInItsOrder() {
        assertEquals(List.of(Qwen3Arch.class, Qwen2Arch.class, LlamaArch.class, Qwen2VLArch.class, Qwen3VLArch.class),
                Arch.all().stream().map(Object::getClass).toList());
        assertSame(Arch.all(), Arch.all(), "loaded once");
        Set<String> names = new HashSet<>();
        for (Arch a : Arch.all()) {
            for (String n : a.hfNames()) assertEquals(true, names.add(n), n + " is claimed twice");
        }
        assertNull(Arch.find("FancyNewForCausalLM"));
    }
}
