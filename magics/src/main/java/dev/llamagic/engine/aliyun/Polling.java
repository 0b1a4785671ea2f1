package dev.llamagic.engine.aliyun;

import dev.llamagic.core.Context;
import java.time.Duration;

/** The waits of the EAS and DSW followers: growing 1.5 times a round up to {@link #MAX_WAIT}, interruptible. */
public final class Polling {
    private Polling() {}

    public static final Duration MAX_WAIT = Duration.ofSeconds(30);

    /** The next wait after {@code current}: 1.5 times longer, at least 100 ms, at most {@link #MAX_WAIT}. */
    public static Duration next(Duration current) {
        long ms = Math.round(current.toMillis() * 1.5);
        return Duration.ofMillis(Math.min(Math.max(ms, 100), MAX_WAIT.toMillis()));
    }

    /** Sleeps {@code d}, checking the interrupt every 100 ms. */
    public static void sleep(Context ctx, Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (true) {
            ctx.checkInterrupted();
            long left = end - System.nanoTime();
            if (left <= 0) return;
            try {
                Thread.sleep(Math.min(100, Math.max(1, left / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ctx.checkInterrupted();
            }
        }
    }
}
