package dev.llamagic.engine.gguf;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A tensor as GGUF describes it: name, dims innermost first (ggml's ne order), type, and offset of its data
 * from the start of the data section.
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {

    public long elements() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    public long bytes() {
        return type.bytes(elements());
    }

    /** The shape as ggml prints it, innermost first: {@code [64, 151936]}. */
    public String shape() {
        return Arrays.stream(dims).mapToObj(Long::toString).collect(Collectors.joining(", ", "[", "]"));
    }

    public GgufTensorInfo withOffset(long offset) {
        return new GgufTensorInfo(name, dims, type, offset);
    }
}
