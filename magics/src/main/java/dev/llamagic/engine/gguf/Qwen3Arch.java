package dev.llamagic.engine.gguf;

import java.util.List;

/** Qwen3 (dense): Qwen2's layout without attention biases, plus per-head RMS norms on q and k. */
public final class Qwen3Arch extends Arch {
    @Override
    public List<String> hfNames() {
        return List.of("Qwen3ForCausalLM");
    }

    @Override
    public String ggufName() {
        return "qwen3";
    }

    @Override
    protected String layerTensor(String module) {
        return switch (module) {
            case "self_attn.q_norm" -> "attn_q_norm";
            case "self_attn.k_norm" -> "attn_k_norm";
            default -> super.layerTensor(module);
        };
    }
}
