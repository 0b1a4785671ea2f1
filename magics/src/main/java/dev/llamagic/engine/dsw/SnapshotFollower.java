package dev.llamagic.engine.dsw;

import dev.llamagic.core.Context;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.aliyun.Polling;
import dev.llamagic.util.Durations;
import java.time.Duration;

/**
 * Follows a snapshot until it is Saved or SaveFailed: polls GetInstanceSnapshot with a growing wait (first
 * {@code firstWait}, times 1.5 each round, at most 30 s; longer after throttling), shows the status in a progress
 * display, checks the interrupt every 100 ms, and gives up following (not the snapshot) after {@code limit}.
 */
public final class SnapshotFollower {
    public static final Duration MAX_WAIT = Polling.MAX_WAIT;

    private final DswClient dsw;
    private final Context ctx;
    private final Duration firstWait;
    private final Duration limit;

    public SnapshotFollower(DswClient dsw, Context ctx, Duration firstWait, Duration limit) {
        this.dsw = dsw;
        this.ctx = ctx;
        this.firstWait = firstWait;
        this.limit = limit;
    }

    /** The next wait after {@code current}: 1.5 times longer, at most {@link #MAX_WAIT}. */
    static Duration next(Duration current) {
        return Polling.next(current);
    }

    /** Returns the Saved snapshot; throws a one-line {@link UserError} when it failed or took too long. */
    public DswSnapshot follow(String snapshotId, String name, Notebook out) {
        long started = System.nanoTime();
        Duration wait = firstWait;
        String last = "requested";
        try (Progress bar = out.progress("snapshot " + name, 3, Progress.Unit.STEPS)) {
            bar.set(1).detail("requested · " + snapshotId);
            while (true) {
                sleep(wait);
                DswSnapshot s;
                try {
                    s = dsw.snapshot(snapshotId);
                } catch (DswClient.ApiFailure e) {
                    if (e.error.kind() != DswApiError.Kind.THROTTLED) {
                        bar.fail(e.error.code());
                        throw e;
                    }
                    wait = next(next(wait));
                    bar.detail(last + " · throttled, next check in " + Durations.format(wait.toMillis()));
                    continue;
                }
                long elapsedMs = (System.nanoTime() - started) / 1_000_000;
                last = s.status() == null ? "unknown" : s.status();
                if (s.saved()) {
                    String image = s.imageUrl() != null ? s.imageUrl() : s.imageId() != null ? s.imageId() : "";
                    bar.finish(last + (image.isEmpty() ? "" : " · " + image));
                    out.print("snapshot " + snapshotId + " " + last + " after " + Durations.format(elapsedMs)
                            + (image.isEmpty() ? "" : ": " + image));
                    return s;
                }
                if (s.failed()) {
                    bar.fail(last + (s.why().isEmpty() ? "" : ": " + s.why()));
                    throw new UserError("snapshot " + snapshotId + " " + last
                            + (s.why().isEmpty() ? "" : ": " + s.why()) + " (after " + Durations.format(elapsedMs) + ")");
                }
                bar.set(2).detail(last + " · " + Durations.format(elapsedMs));
                if (elapsedMs > limit.toMillis()) {
                    bar.fail("still " + last);
                    throw new UserError("snapshot " + snapshotId + " still " + last + " after "
                            + Durations.format(elapsedMs) + "; it goes on in the cloud").hint("dsw-snapshots");
                }
                wait = next(wait);
            }
        }
    }

    private void sleep(Duration d) {
        Polling.sleep(ctx, d);
    }
}
