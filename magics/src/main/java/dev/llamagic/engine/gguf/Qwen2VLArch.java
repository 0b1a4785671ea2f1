package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Qwen2-VL and Qwen2.5-VL: the language model is Qwen2's layout under GGUF architecture {@code qwen2vl} with
 * multimodal RoPE ({@code rope.dimension_sections} from {@code mrope_section}, padded to 4); the vision tower goes
 * to the projector GGUF ({@link Qwen2VLVision}).
 */
public final class Qwen2VLArch extends Arch {
    @Override
    public List<String> hfNames() {
        return List.of("Qwen2_5_VLForConditionalGeneration", "Qwen2VLForConditionalGeneration");
    }

    @Override
    public String ggufName() {
        return "qwen2vl";
    }

    @Override
    public VisionTower vision() {
        return new Qwen2VLVision();
    }

    @Override
    public String tensorName(String hf) {
        return isMultimodal(hf) ? null : super.tensorName(hf);
    }

    @Override
    protected boolean handlesRopeType(String type) {
        return type.equals("mrope");
    }

    @Override
    public void parameters(JsonNode c, Map<String, GgufValue> kv, int fileType) {
        super.parameters(c, kv, fileType);
        insertSections(c, kv, ggufName());
    }

    /** {@code <arch>.rope.dimension_sections} (INT32 × 4), placed before the RoPE base as the converter writes it. */
    static void insertSections(JsonNode c, Map<String, GgufValue> kv, String arch) {
        JsonNode rope = c.has("rope_parameters") && c.get("rope_parameters").isObject() ? c.get("rope_parameters") : c.get("rope_scaling");
        if (rope == null || !rope.has("mrope_section")) return;
        List<Object> sections = new ArrayList<>();
        for (JsonNode s : rope.get("mrope_section")) sections.add(s.asLong());
        while (sections.size() < 4) sections.add(0L);
        GgufValue value = GgufValue.array(GgufValue.Type.INT32, sections.subList(0, 4));
        Map<String, GgufValue> copy = new LinkedHashMap<>(kv);
        kv.clear();
        boolean placed = false;
        for (Map.Entry<String, GgufValue> e : copy.entrySet()) {
            if (!placed && (e.getKey().equals(arch + ".rope.freq_base") || e.getKey().equals(arch + ".attention.layer_norm_rms_epsilon"))) {
                kv.put(arch + ".rope.dimension_sections", value);
                placed = true;
            }
            kv.put(e.getKey(), e.getValue());
        }
        if (!placed) kv.put(arch + ".rope.dimension_sections", value);
    }

    /** The tensors llama.cpp's TextModel leaves to the projector (vision towers, mergers, patch embeddings). */
    static boolean isMultimodal(String name) {
        return name.startsWith("visual.") || name.contains(".visual.") || name.contains("vision.") || name.contains("patch_embed")
                || name.startsWith("merger.") || name.contains("vision_") || name.contains("deepstack");
    }
}
