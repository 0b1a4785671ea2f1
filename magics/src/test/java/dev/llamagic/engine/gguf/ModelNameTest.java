package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Expected values produced by gguf-py's Metadata heuristics for the same inputs. */
class ModelNameTest {

    @Test
    void qwen3_4b() {
        ModelName n = ModelName.derive(null, "Qwen3-4B", 4022468096L);
        assertEquals("Qwen3 4B", n.name());
        assertEquals("Qwen3", n.basename());
        assertEquals("4B", n.sizeLabel());
        assertEquals("Qwen3-4B-F16.gguf", n.fileName("F16"));
    }

    @Test
    void orgAndFinetune() {
        ModelName n = ModelName.derive("Qwen/Qwen2.5-7B-Instruct", "whatever", 7615616512L);
        assertEquals("Qwen2.5 7B Instruct", n.name());
        assertEquals("Qwen", n.organization());
        assertEquals("Qwen2.5", n.basename());
        assertEquals("Instruct", n.finetune());
        assertEquals("7B", n.sizeLabel());
        assertEquals("Qwen2.5-7B-Instruct-Q8_0.gguf", n.fileName("Q8_0"));
        ModelName l = ModelName.derive(null, "Meta-Llama-3.1-8B-Instruct", 8030261248L);
        assertEquals("Meta-Llama-3.1", l.basename());
        assertEquals("Meta Llama 3.1 8B Instruct", l.name());
    }

    @Test
    void noComponentsMeansNameAndCountedSize() {
        ModelName n = ModelName.derive(null, "Qwen3-tiny", 9798016);
        assertEquals("Qwen3 Tiny", n.name());
        assertNull(n.basename());
        assertEquals("10M", n.sizeLabel());
        assertEquals("Qwen3-Tiny-10M-BF16.gguf", n.fileName("BF16"));
    }

    @Test
    void aSizeFarFromTheCountIsAFinetune() {
        ModelName n = ModelName.derive(null, "Qwen3-4B-Instruct", 9798016);
        assertEquals("Qwen3", n.basename());
        assertEquals("4b-Instruct", n.finetune());
        assertEquals("10M", n.sizeLabel());
        ModelName m = ModelName.derive(null, "Qwen3-30B-A3B", 30532122624L);
        assertEquals("30B-A3B", m.sizeLabel());
        assertEquals("Qwen3 0.6B", ModelName.derive(null, "Qwen3-0.6B", 596049920).name());
    }

    @Test
    void sizeLabels() {
        assertEquals("10M", ModelName.sizeLabel(9798016));
        assertEquals("596M", ModelName.sizeLabel(596049920));
        assertEquals("4.0B", ModelName.sizeLabel(4022468096L));
        assertEquals("1000K", ModelName.sizeLabel(999999));
        assertEquals("1.5K", ModelName.sizeLabel(1500));
    }
}
