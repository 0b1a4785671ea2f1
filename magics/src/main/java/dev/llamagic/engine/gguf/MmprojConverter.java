package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.llamagic.core.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Plans the projector GGUF of a vision-language model ({@code mmproj-<Name>-<TYPE>.gguf}, GGUF architecture
 * {@code clip}), as {@code convert_hf_to_gguf.py --mmproj} writes it; {@link HfConverter#write} writes it with the
 * same guarantees as the language model's GGUF (parallel, bounded memory, renamed into place at the end).
 */
public final class MmprojConverter {
    private MmprojConverter() {}

    /** The projector's plan, or null when the model's architecture has no vision tower llamagic converts. */
    public static HfConverter.Plan plan(HfConverter.Options o) throws IOException {
        Path dir = o.modelDir().toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) throw new UserError(dir + " is not a directory (give the model's directory)");
        JsonNode raw = HfConverter.config(dir);
        Arch arch = Arch.find(raw.path("architectures").path(0).asText(""));
        VisionTower tower = arch == null ? null : arch.vision();
        if (tower == null || !raw.path("vision_config").isObject()) return null;
        Safetensors st = Safetensors.open(dir);
        GgmlType ftype = HfConverter.outtype(o.outtype(), st);
        int fileType = switch (ftype) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            default -> 32;
        };
        List<HfConverter.Planned> planned = new ArrayList<>();
        for (Safetensors.Tensor t : st.tensors()) {
            if (t.name().contains("language_model.")) continue;
            for (VisionTower.Piece p : tower.pieces(t, raw)) planned.add(planned(tower, p, ftype));
        }
        if (planned.isEmpty()) throw new UserError("the safetensors in " + dir + " hold no vision tower tensors");
        long params = planned.stream().mapToLong(HfConverter.Planned::elements).sum();

        ModelName names = ModelName.derive(HfConverter.textConfig(raw).path("_name_or_path").asText(null), dir.getFileName().toString(), params);
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", GgufValue.string("clip"));
        kv.put("general.type", GgufValue.string("mmproj"));
        HfConverter.general(dir, names, kv);
        kv.put("general.file_type", GgufValue.u32(fileType));
        tower.parameters(raw, preprocessor(dir), kv);
        kv.put("general.quantization_version", GgufValue.u32(2));

        Path out = outputPath(dir, o.outfile(), names, ftype.name());
        List<GgufTensorInfo> infos = new ArrayList<>();
        for (HfConverter.Planned p : planned) infos.add(new GgufTensorInfo(p.name(), p.dims(), p.type(), 0));
        infos = GgufWriter.layout(infos, GgufWriter.DEFAULT_ALIGNMENT);
        long srcBytes = planned.stream().mapToLong(HfConverter.Planned::sourceBytes).sum();
        return new HfConverter.Plan(dir, arch, ftype.name(), fileType, kv, List.copyOf(planned), infos, out, srcBytes, params);
    }

    private static HfConverter.Planned planned(VisionTower tower, VisionTower.Piece p, GgmlType ftype) {
        Safetensors.Tensor t = p.src();
        int nd = t.shape().length;
        GgmlType type = tower.forcedType(p.name(), ftype);
        if (nd <= 1 || p.name().endsWith("_norm.weight")) {
            type = GgmlType.F32;
        } else if (type == null) {
            if (!p.name().endsWith(".weight")) {
                type = GgmlType.F32;
            } else {
                type = ftype;
                if (type == GgmlType.Q8_0 && t.shape()[nd - 1] % 32 != 0) type = GgmlType.F16;
            }
        }
        long[] dims = new long[nd];
        for (int i = 0; i < nd; i++) dims[i] = t.shape()[nd - 1 - i];
        return new HfConverter.Planned(p.name(), t, type, dims, p.rowOrder(), null);
    }

    /** preprocessor_config.json, with processor_config.json's image_processor merged over it (as the converter). */
    static JsonNode preprocessor(Path dir) throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode merged = JsonNodeFactory.instance.objectNode();
        Path pre = dir.resolve("preprocessor_config.json");
        if (Files.isRegularFile(pre)) {
            JsonNode c = TokenizerExport.readJson(pre);
            if (c.isObject()) {
                merged.setAll((com.fasterxml.jackson.databind.node.ObjectNode) c);
                if (c.path("media_proc_cfg").isObject()) merged.setAll((com.fasterxml.jackson.databind.node.ObjectNode) c.get("media_proc_cfg"));
            }
        }
        Path proc = dir.resolve("processor_config.json");
        if (Files.isRegularFile(proc)) {
            JsonNode c = TokenizerExport.readJson(proc);
            if (c.isObject()) {
                merged.setAll((com.fasterxml.jackson.databind.node.ObjectNode) c);
                if (c.path("image_processor").isObject()) merged.setAll((com.fasterxml.jackson.databind.node.ObjectNode) c.get("image_processor"));
            }
        }
        return merged;
    }

    /**
     * Where the projector goes: {@code mmproj-<Name>-<TYPE>.gguf} (no size label, as llama.cpp names it) in the model
     * directory, or in {@code outfile} when that is a directory, else beside {@code outfile} with an {@code mmproj-} prefix.
     */
    static Path outputPath(Path modelDir, Path outfile, ModelName names, String outputType) {
        ModelName unsized = new ModelName(names.name(), names.organization(), names.basename(), names.finetune(), names.version(), null);
        String def = "mmproj-" + unsized.fileName(outputType);
        if (outfile == null) return modelDir.resolve(def);
        Path text = HfConverter.outputPath(modelDir, outfile, names, outputType);
        if (Files.isDirectory(outfile.toAbsolutePath())) return text.resolveSibling(def);
        String f = text.getFileName().toString();
        return text.resolveSibling(f.toLowerCase(Locale.ROOT).startsWith("mmproj") ? f : "mmproj-" + f);
    }
}
