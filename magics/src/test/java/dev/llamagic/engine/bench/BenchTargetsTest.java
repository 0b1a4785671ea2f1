package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llamagic.core.UserError;
import dev.llamagic.engine.gpu.ProcessNames;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchTargetsTest {
    record Srv(String name, int port) {}

    @Test
    void registryResolver() {
        Map<String, Srv> reg = Map.of("qwen", new Srv("qwen", 8081), "llama", new Srv("llama", 8082));
        BenchTargets t = BenchTargets.of(reg::get, () -> reg.get("llama"),
                s -> new BenchTarget(s.name(), "http://127.0.0.1:" + s.port() + "/", null, null, 42L, 4));
        assertEquals("http://127.0.0.1:8081", t.resolve("qwen", "%bench").baseUrl());
        assertEquals("llama", t.resolve(null, "%bench").name());
        UserError e = assertThrows(UserError.class, () -> t.resolve("nope", "%bench"));
        assertEquals("%bench: no server named 'nope'; start it with %serve, or pass --url", e.getMessage());
        BenchTargets empty = BenchTargets.of(n -> null, () -> null, s -> null);
        assertEquals("%bench: no server is running: start one with %serve, or pass --url",
                assertThrows(UserError.class, () -> empty.resolve(null, "%bench")).getMessage());
        assertThrows(UserError.class, () -> BenchTargets.URL_ONLY.resolve(null, "%bench"));
    }

    @Test
    void processNamesFromAListing() {
        ProcessNames n = ProcessNames.of(() -> Map.of(ProcessHandle.current().pid(), "me"));
        assertEquals("me", n.nameOf(ProcessHandle.current().pid()));
        assertEquals(null, n.nameOf(1));
        assertEquals(null, ProcessNames.NONE.nameOfTree(ProcessHandle.current().pid()));
    }
}
