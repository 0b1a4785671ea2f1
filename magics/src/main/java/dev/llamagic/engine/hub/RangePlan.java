package dev.llamagic.engine.hub;

import dev.llamagic.util.Units;
import java.util.ArrayList;
import java.util.List;

/**
 * How one file is cut into byte ranges: files up to 1.5 × the range size are one range; larger ones are cut into
 * ranges of {@code rangeSize} (the last one takes the remainder). A range is the unit of progress, resume and
 * repair (each is hashed on its own). The ranges are grouped into a few {@link Span}s of consecutive ranges, one
 * per connection: a span is read in one request across its ranges (and resumed after a cut), so a file costs a
 * handful of requests rather than one per range. A hub that corrupts a share of requests then corrupts a file
 * rarely, and repairing it has fewer places to look.
 */
public final class RangePlan {
    private RangePlan() {}

    /** An inclusive byte range [start, end]. */
    public record Range(long start, long end) {
        public long length() {
            return end - start + 1;
        }
    }

    /** Ranges {@code first..last} (inclusive indices) read one after another over one connection. */
    public record Span(int first, int last) {
        public int count() {
            return last - first + 1;
        }
    }

    /** {@code ranges} ranges grouped into at most {@code streams} spans of consecutive ranges, as even as can be. */
    public static List<Span> spans(int ranges, int streams) {
        if (streams <= 0) throw new IllegalArgumentException("streams must be positive");
        List<Span> out = new ArrayList<>();
        int s = Math.min(ranges, streams);
        int at = 0;
        for (int k = 0; k < s; k++) {
            int n = ranges / s + (k < ranges % s ? 1 : 0);
            out.add(new Span(at, at + n - 1));
            at += n;
        }
        return out;
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
