package dev.llamagic.magic.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.bench.BenchSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchTargetsTest {
    record Srv(String name, int port) {}

    @Test
    void registryResolver() {
        Map<String, Srv> reg = Map.of("qwen", new Srv("qwen", 8081), "llama", new Srv("llama", 8082));
        BenchTargets t = BenchTargets.of(reg::get, () -> reg.get("llama"),
                s -> BenchSpec.builder("http://127.0.0.1:" + s.port() + "/").server(s.name()).pid(42L).slots(4));
        assertEquals("http://127.0.0.1:8081", t.resolve("qwen").build().baseUrl());
        assertEquals("llama", t.resolve(null).build().server());
        // the engine's wording: the magic layer puts "%bench: " in front
        UserError e = assertThrows(UserError.class, () -> t.resolve("nope"));
        assertEquals("no server named 'nope'; start it with %serve, or pass --url", e.getMessage());
        BenchTargets empty = BenchTargets.of(n -> null, () -> null, s -> null);
        assertEquals("no server is running: start one with %serve, or pass --url",
                assertThrows(UserError.class, () -> empty.resolve(null)).getMessage());
    }
}
