package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchSpecTest {
    @Test
    void builtFromAUrlWithTheStandardWorkload() {
        BenchSpec s = BenchSpec.builder("http://127.0.0.1:8080//").apiKey(" ").build();
        assertEquals("http://127.0.0.1:8080", s.baseUrl());
        assertNull(s.apiKey(), "a blank key is no key");
        assertNull(s.server());
        assertEquals(Workload.standard(), s.workload());
        assertThrows(IllegalArgumentException.class, () -> BenchSpec.builder(" ").build());
    }

    @Test
    void workloadOverridesApplyToTheChosenPreset() {
        BenchSpec s = BenchSpec.builder("http://h").quick().prompts(List.of(64)).repetitions(1).server("qwen").build();
        assertEquals("quick (modified)", s.workload().name());
        assertEquals(List.of(64), s.workload().promptTokens());
        assertEquals(Workload.quick().concurrency(), s.workload().concurrency());
        assertEquals(1, s.workload().repetitions());
        BenchSpec again = s.toBuilder().modelFile(Path.of("m.gguf")).build();
        assertEquals(s.workload(), again.workload());
        assertEquals("qwen", again.server());
        assertThrows(IllegalArgumentException.class, () -> BenchSpec.builder("http://h").gen(List.of(1)).build());
    }

    @Test
    void llamaBenchSpec() {
        LlamaBenchSpec s = LlamaBenchSpec.builder(Path.of("m.gguf")).args(List.of("-p", "512")).build();
        assertEquals(Path.of("m.gguf").toAbsolutePath(), s.model());
        assertEquals(List.of("-p", "512"), s.args());
        assertEquals("-o", LlamaBench.outputFlag(List.of("-p", "5", "-o", "csv")));
        assertNull(LlamaBench.outputFlag(s.args()));
    }
}
