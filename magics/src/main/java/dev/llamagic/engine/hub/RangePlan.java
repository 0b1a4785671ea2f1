package dev.llamagic.engine.hub;

import dev.llamagic.util.Units;
import java.util.ArrayList;
import java.util.List;

/**
 * How one file is cut into byte ranges fetched in parallel: files up to 1.5 × the range size are one range;
 * larger ones are cut into ranges of {@code rangeSize} (the last one takes the remainder).
 */
public final class RangePlan {
    private RangePlan() {}

    /** An inclusive byte range [start, end]. */
    public record Range(long start, long end) {
        public long length() {
            return end - start + 1;
        }
    }

    public static List<Range> plan(long size, long rangeSize) {
        if (rangeSize <= 0) throw new IllegalArgumentException("range size must be positive");
        List<Range> out = new ArrayList<>();
        if (size <= 0) return out;
        if (size <= rangeSize + rangeSize / 2) {
            out.add(new Range(0, size - 1));
            return out;
        }
        long n = size / rangeSize;
        long rest = size - n * rangeSize;
        // a small tail (under half a range) joins the last range instead of being its own request
        boolean mergeTail = rest > 0 && rest < rangeSize / 2;
        long count = mergeTail || rest == 0 ? n : n + 1;
        for (long i = 0; i < count; i++) {
            long start = i * rangeSize;
            long end = i == count - 1 ? size - 1 : start + rangeSize - 1;
            out.add(new Range(start, end));
        }
        return out;
    }

    /** "64M", "1G", "512k", "1048576" → bytes ({@link Units#parseBytes}); a range size must be positive. */
    public static long parseSize(String s) {
        long v = Units.parseBytes(s);
        if (v <= 0) throw new IllegalArgumentException("not a size: '" + s + "' (e.g. 64M, 1G)");
        return v;
    }
}
