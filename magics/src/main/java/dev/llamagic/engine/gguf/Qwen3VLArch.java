package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * Qwen3-VL (dense): the language model is Qwen3's layout (per-head q/k norms) under GGUF architecture
 * {@code qwen3vl}, with multimodal RoPE sections and the number of deepstack layers; the vision tower goes to the
 * projector GGUF ({@link Qwen3VLVision}).
 */
public final class Qwen3VLArch extends Arch {
    @Override
    public List<String> hfNames() {
        return List.of("Qwen3VLForConditionalGeneration");
    }

    @Override
    public String ggufName() {
        return "qwen3vl";
    }

    @Override
    public VisionTower vision() {
        return new Qwen3VLVision();
    }

    @Override
    public String tensorName(String hf) {
        return Qwen2VLArch.isMultimodal(hf) || hf.startsWith("mtp.") ? null : super.tensorName(hf);
    }

    @Override
    protected String layerTensor(String module) {
        return switch (module) {
            case "self_attn.q_norm" -> "attn_q_norm";
            case "self_attn.k_norm" -> "attn_k_norm";
            default -> super.layerTensor(module);
        };
    }

    @Override
    public void parameters(JsonNode c, Map<String, GgufValue> kv, int fileType) {
        super.parameters(c, kv, fileType);
        Qwen2VLArch.insertSections(c, kv, ggufName());
        kv.put("qwen3vl.n_deepstack_layers", GgufValue.u32(c.path("vision_config").path("deepstack_visual_indexes").size()));
    }
}
