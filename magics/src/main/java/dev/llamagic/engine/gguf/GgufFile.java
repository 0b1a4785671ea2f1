package dev.llamagic.engine.gguf;

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

    /** A numeric value, or {@code fallback} when the key is absent or not a number. */
    public long number(String key, long fallback) {
        GgufValue v = metadata.get(key);
        return v != null && v.value() instanceof Number n ? n.longValue() : fallback;
    }

    /** The trained context length, 0 when unknown. */
    public long contextLength() {
        return number(architecture() + ".context_length", 0);
    }

    /** Bytes of an f16 KV cache per token of context, 0 when the metadata does not say. */
    public long kvBytesPerToken() {
        String a = architecture();
        if (a == null) return 0;
        long layers = number(a + ".block_count", 0);
        long heads = number(a + ".attention.head_count", 0);
        long kvHeads = number(a + ".attention.head_count_kv", heads);
        long embd = number(a + ".embedding_length", 0);
        long headDim = heads > 0 ? embd / heads : 0;
        long k = number(a + ".attention.key_length", headDim);
        long v = number(a + ".attention.value_length", headDim);
        return layers * kvHeads * (k + v) * 2;
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
