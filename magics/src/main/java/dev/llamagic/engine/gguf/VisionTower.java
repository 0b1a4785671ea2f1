package dev.llamagic.engine.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * The vision encoder of a multimodal architecture, as llama.cpp's MmprojModel subclasses convert it into the
 * projector GGUF ({@code mmproj-*.gguf}, GGUF architecture {@code clip}) that llama-server's {@code --mmproj} loads.
 * An {@link Arch} that has one returns it from {@link Arch#vision()}.
 */
public abstract class VisionTower {

    /**
     * One output tensor made from (a part of) a Hugging Face tensor: {@code src} is a view of the source's bytes
     * (a row range keeps the file, offset and length of those rows), {@code rowOrder} (or null) the source row of
     * each output row, rows being {@code src.elements() / rowOrder.length} elements long, read from the view's
     * offset on.
     */
    public record Piece(String name, Safetensors.Tensor src, int[] rowOrder) {}

    /** The pieces a Hugging Face tensor becomes; an empty list: not a vision tensor (the language model's). */
    public abstract List<Piece> pieces(Safetensors.Tensor t, JsonNode config);

    /** The clip.* keys after general.file_type, as set_gguf_parameters writes them. */
    public abstract void parameters(JsonNode config, JsonNode preprocessor, Map<String, GgufValue> kv);

    /** The forced type of a piece (before the rule that 1-D tensors and norms are F32), or null for none. */
    public GgmlType forcedType(String ggufName, GgmlType fileType) {
        if (ggufName.contains(".patch_embd.weight") || ggufName.contains(".patch_merger.weight")) {
            return fileType == GgmlType.F16 ? GgmlType.F16 : GgmlType.F32;
        }
        if (ggufName.contains(".position_embd.")) return GgmlType.F32;
        return null;
    }

    // ---- helpers for subclasses -------------------------------------------------------------------------

    /** Rows [from, from + count) of a tensor (its first dimension) as a tensor of its own. */
    protected static Safetensors.Tensor rows(Safetensors.Tensor t, long from, long count) {
        long[] shape = t.shape().clone();
        long rowElems = t.elements() / shape[0];
        shape[0] = count;
        long rowBytes = rowElems * t.elementSize();
        return new Safetensors.Tensor(t.name(), t.dtype(), shape, t.file(), t.offset() + from * rowBytes, count * rowBytes);
    }

    /** q, k and v of a fused qkv weight or bias (split in thirds along the first dimension, as the converter does). */
    protected static List<Piece> splitQkv(Safetensors.Tensor t, String prefix, String suffix) {
        long c3 = t.shape()[0];
        if (c3 % 3 != 0) throw new dev.llamagic.core.UserError(t.name() + " has " + c3 + " rows, not q, k and v of equal size");
        long c = c3 / 3;
        return List.of(new Piece(prefix + "attn_q" + suffix, rows(t, 0, c), null),
                new Piece(prefix + "attn_k" + suffix, rows(t, c, c), null),
                new Piece(prefix + "attn_v" + suffix, rows(t, 2 * c, c), null));
    }

    /**
     * A Conv3D patch embedding [out, in, 2, kh, kw] as two Conv2D weights [out, in, kh, kw], one per temporal slice
     * ({@code name} and {@code name.1}), as the converter splits it.
     */
    protected static List<Piece> splitTemporal(Safetensors.Tensor t, String name) {
        long[] s = t.shape();
        if (s.length != 5 || s[2] != 2) {
            throw new dev.llamagic.core.UserError(t.name() + " is not a Conv3D weight with a temporal patch size of 2");
        }
        long[] shape = {s[0], s[1], s[3], s[4]};
        long elems = s[0] * s[1] * s[3] * s[4];
        Safetensors.Tensor half = new Safetensors.Tensor(t.name(), t.dtype(), shape, t.file(), t.offset(), elems * t.elementSize());
        int rows = Math.toIntExact(s[0] * s[1]);
        int[] first = new int[rows];
        int[] second = new int[rows];
        for (int r = 0; r < rows; r++) {
            first[r] = 2 * r;
            second[r] = 2 * r + 1;
        }
        return List.of(new Piece(name, half, first), new Piece(name + ".1", half, second));
    }

    /** The first of {@code keys} present in {@code c}. */
    protected static JsonNode first(JsonNode c, String... keys) {
        return Arch.first(c, keys);
    }
}
