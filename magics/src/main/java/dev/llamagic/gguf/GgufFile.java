package dev.llamagic.gguf;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What a GGUF file's header says: version, metadata (in file order), tensors, where the data starts. */
public record GgufFile(Path path, int version, Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors,
                       long dataOffset, int alignment, long fileSize) {

    public GgufValue get(String key) {
        return metadata.get(key);
    }

    public String string(String key) {
        GgufValue v = metadata.get(key);
        return v == null ? null : String.valueOf(v.value());
    }

    public String architecture() {
        return string("general.architecture");
    }

    public long parameterCount() {
        return tensors.stream().mapToLong(GgufTensorInfo::elements).sum();
    }

    public long tensorBytes() {
        return tensors.stream().mapToLong(GgufTensorInfo::bytes).sum();
    }

    public GgufTensorInfo tensor(String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }
}
