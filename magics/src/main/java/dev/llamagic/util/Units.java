package dev.llamagic.util;

import java.util.Locale;

/** Human-readable sizes and durations, and sizes as people write them. */
public final class Units {
    private Units() {}

    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, u[i]);
    }

    public static String duration(double seconds) {
        if (seconds < 60) return String.format(Locale.ROOT, "%.1f s", seconds);
        long s = Math.round(seconds);
        if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    /**
     * "64M", "1G", "1.5GiB", "512k", "2T", "1000" (bytes) → bytes: K, M, G, T are powers of 1024, any case, with an
     * optional "B" or "iB" after them; 0 is a size, a negative number is not.
     *
     * @throws NumberFormatException (an {@link IllegalArgumentException}) "not a size: 'x' (e.g. 64M, 1G)"
     */
    public static long parseBytes(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT);
        if (t.endsWith("IB")) t = t.substring(0, t.length() - 2);
        else if (t.endsWith("B")) t = t.substring(0, t.length() - 1);
        int pow = t.isEmpty() ? 0 : "KMGT".indexOf(t.charAt(t.length() - 1)) + 1;
        if (pow > 0) t = t.substring(0, t.length() - 1);
        double v;
        try {
            v = Double.parseDouble(t.strip());
        } catch (NumberFormatException e) {
            throw notASize(s);
        }
        if (v < 0) throw notASize(s);
        return (long) (v * (1L << (10 * pow)));
    }

    private static NumberFormatException notASize(String s) {
        return new NumberFormatException("not a size: '" + s + "' (e.g. 64M, 1G)");
    }
}
