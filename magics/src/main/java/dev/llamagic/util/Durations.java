package dev.llamagic.util;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users type them for timers: {@code 2h}, {@code 30m}, {@code 1h30m}, {@code 1.5h}, {@code 90min}, {@code 45s}. */
public final class Durations {
    private Durations() {}

    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)");

    /** The duration, or an {@link IllegalArgumentException} whose message says what was wrong. */
    public static Duration parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("no duration given (use 2h, 30m or 1h30m)");
        String s = text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        Matcher m = PART.matcher(s);
        int at = 0;
        double seconds = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("'" + text.trim() + "' is not a duration (use 2h, 30m or 1h30m)");
            }
            double n = Double.parseDouble(m.group(1));
            seconds += n * switch (m.group(2).charAt(0)) {
                case 'd' -> 86400;
                case 'h' -> 3600;
                case 'm' -> 60;
                default -> 1;
            };
            at = m.end();
        }
        if (seconds <= 0) throw new IllegalArgumentException("'" + text.trim() + "' is not a positive duration");
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    /** "2 h 00 min", "30 min", "45 s". */
    public static String format(long ms) {
        long s = Math.max(0, Math.round(ms / 1000.0));
        if (s < 60) return s + " s";
        if (s < 3600) return (s / 60) + " min" + (s % 60 == 0 ? "" : String.format(Locale.ROOT, " %02d s", s % 60));
        long days = s / 86400;
        long h = (s % 86400) / 3600;
        long min = (s % 3600) / 60;
        String hm = String.format(Locale.ROOT, "%d h %02d min", h, min);
        return days > 0 ? days + " d " + hm : hm;
    }
}
