package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PatternsTest {
    @Test
    void starMatchesSlashLikePythonFnmatch() {
        Patterns p = new Patterns(List.of("*.json"), List.of());
        assertTrue(p.selects("config.json"));
        assertTrue(p.selects("sub/dir/tokenizer.json"), "fnmatch's * crosses /");
        assertFalse(p.selects("model.safetensors"));
    }

    @Test
    void questionMarkAndClasses() {
        Patterns p = new Patterns(List.of("model-0000[1-2]-of-0000?.safetensors"), List.of());
        assertTrue(p.selects("model-00001-of-00003.safetensors"));
        assertTrue(p.selects("model-00002-of-00003.safetensors"));
        assertFalse(p.selects("model-00003-of-00003.safetensors"));
        Patterns neg = new Patterns(List.of("[!m]*"), List.of());
        assertTrue(neg.selects("config.json"));
        assertFalse(neg.selects("model.bin"));
    }

    @Test
    void literalCharactersAreNotRegex() {
        Patterns p = new Patterns(List.of("a+b(1).txt"), List.of());
        assertTrue(p.selects("a+b(1).txt"));
        assertFalse(p.selects("aab(1).txt"));
        Patterns dot = new Patterns(List.of("*.bin"), List.of());
        assertFalse(dot.selects("modelxbin"));
        Patterns bracket = new Patterns(List.of("weird[name"), List.of());
        assertTrue(bracket.selects("weird[name"), "an unclosed [ is literal, as in fnmatch");
    }

    @Test
    void trailingSlashMeansEverythingBelowAndCommasSplit() {
        Patterns p = new Patterns(List.of("onnx/", "*.md, LICENSE"), List.of());
        assertEquals(List.of("onnx/*", "*.md", "LICENSE"), p.include());
        assertTrue(p.selects("onnx/decoder.onnx"));
        assertTrue(p.selects("README.md"));
        assertTrue(p.selects("LICENSE"));
        assertFalse(p.selects("config.json"));
    }

    @Test
    void excludeWinsOverInclude() {
        Patterns p = new Patterns(List.of("*.safetensors"), List.of("*-00002-of-*"));
        assertTrue(p.selects("model-00001-of-00002.safetensors"));
        assertFalse(p.selects("model-00002-of-00002.safetensors"));
        assertTrue(Patterns.all().selects("anything/at/all"));
    }

    @Test
    void shellQuotesAreDropped() {
        assertEquals(List.of("*.json", "a b"), new Patterns(List.of("'*.json'", "\"a b\""), List.of()).include());
    }

    @Test
    void caseSensitiveLikePosixFnmatch() {
        assertFalse(new Patterns(List.of("*.JSON"), List.of()).selects("config.json"));
    }
}
