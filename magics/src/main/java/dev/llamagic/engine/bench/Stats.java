package dev.llamagic.engine.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.OptionalDouble;

/** Means and percentiles as the benchmark tables use them. */
public final class Stats {
    private Stats() {}

    /**
     * The p-th percentile (0..100) by linear interpolation between closest ranks: position {@code (n−1)·p/100}
     * in the sorted values (numpy's default). Empty for no values.
     */
    public static OptionalDouble percentile(Collection<Double> values, double p) {
        if (values.isEmpty()) return OptionalDouble.empty();
        if (p < 0 || p > 100) throw new IllegalArgumentException("percentile out of 0..100: " + p);
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        double pos = (v.length - 1) * p / 100.0;
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return OptionalDouble.of(v[lo] + (v[hi] - v[lo]) * (pos - lo));
    }

    public static OptionalDouble mean(Collection<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average();
    }
}
