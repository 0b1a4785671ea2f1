package dev.llamagic.engine.dsw;

import dev.llamagic.util.Durations;
import java.util.Map;

/** An instance's scheduled stop: when ({@code DueTime}, UTC) and how long from the answer's time. */
public record DswTimer(String dueTime, Long remainingMs) {

    /** From GetInstanceShutdownTimer's body or GetInstance's {@code InstanceShutdownTimer}; null when none is set. */
    public static DswTimer from(Map<String, ?> m) {
        if (m == null) return null;
        String due = Fields.str(m, "DueTime");
        Long left = Fields.num(m, "RemainingTimeInMs");
        if (due == null && (left == null || left <= 0)) return null;
        return new DswTimer(due, left);
    }

    /** "2026-12-01T23:00:00Z (in 1 h 59 min)". */
    public String describe() {
        StringBuilder b = new StringBuilder();
        if (dueTime != null) b.append(dueTime);
        if (remainingMs != null && remainingMs > 0) {
            if (b.length() > 0) b.append(' ');
            b.append("(in ").append(Durations.format(remainingMs)).append(')');
        }
        return b.toString();
    }
}
