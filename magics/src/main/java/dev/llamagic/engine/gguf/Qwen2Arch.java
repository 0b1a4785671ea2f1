package dev.llamagic.engine.gguf;

import java.util.List;

/** Qwen2 / Qwen2.5: the llama layout with biases on q, k and v (1-D, kept F32). */
public final class Qwen2Arch extends Arch {
    @Override
    public List<String> hfNames() {
        return List.of("Qwen2ForCausalLM");
    }

    @Override
    public String ggufName() {
        return "qwen2";
    }
}
