package dev.llamagic.engine.eas;

import dev.llamagic.core.Context;
import dev.llamagic.core.Notebook;
import dev.llamagic.core.Progress;
import dev.llamagic.core.UserError;
import dev.llamagic.util.Durations;
import dev.llamagic.engine.aliyun.Polling;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * Follows a service until it reaches a state (Running with every instance up, or Stopped): polls DescribeService
 * with a growing wait (first {@code firstWait}, × 1.5 a round, at most 30 s), shows status and instances in a
 * progress display, checks the interrupt every 100 ms, and gives up following (not the service) after
 * {@code limit}. A service that fails ends in one line with its Reason and Message.
 */
public final class ServiceFollower {
    public static final Duration MAX_WAIT = Polling.MAX_WAIT;

    /** What the follower waits for. */
    public enum Target {
        RUNNING(s -> s.running() && (s.totalInstance() == null || s.runningInstance() == null
                || s.runningInstance() >= s.totalInstance())),
        STOPPED(EasService::stopped);

        final Predicate<EasService> reached;

        Target(Predicate<EasService> reached) {
            this.reached = reached;
        }
    }

    private final EasClient eas;
    private final Context ctx;
    private final Duration firstWait;
    private final Duration limit;

    public ServiceFollower(EasClient eas, Context ctx, Duration firstWait, Duration limit) {
        this.eas = eas;
        this.ctx = ctx;
        this.firstWait = firstWait;
        this.limit = limit;
    }

    static Duration next(Duration current) {
        return Polling.next(current);
    }

    /** Returns the service in the target state; one-line {@link UserError} when it failed or took too long. */
    public EasService follow(String name, Target target, Notebook out) {
        long started = System.nanoTime();
        Duration wait = firstWait;
        String last = "requested";
        try (Progress bar = out.progress("service " + name, 3, Progress.Unit.STEPS)) {
            bar.set(1).detail(last);
            while (true) {
                sleep(wait);
                EasService s = eas.service(name);
                long elapsedMs = (System.nanoTime() - started) / 1_000_000;
                last = (s.status() == null ? "unknown" : s.status())
                        + (s.instances().isEmpty() ? "" : " · " + s.instances() + " instances");
                if (target.reached.test(s)) {
                    bar.finish(last);
                    return s;
                }
                if (s.failed()) {
                    bar.fail(last + (s.why().isEmpty() ? "" : ": " + s.why()));
                    throw new UserError("service " + name + " " + s.status()
                            + (s.why().isEmpty() ? "" : ": " + dev.llamagic.engine.aliyun.ApiErrors.oneLine(s.why()))
                            + " (after " + Durations.format(elapsedMs) + ")");
                }
                bar.set(2).detail(last + " · " + Durations.format(elapsedMs));
                if (elapsedMs > limit.toMillis()) {
                    bar.fail("still " + last);
                    throw new UserError("service " + name + " still " + s.status() + " after "
                            + Durations.format(elapsedMs) + "; it goes on in the cloud").hint("eas-status", name);
                }
                wait = next(wait);
            }
        }
    }

    private void sleep(Duration d) {
        Polling.sleep(ctx, d);
    }
}
