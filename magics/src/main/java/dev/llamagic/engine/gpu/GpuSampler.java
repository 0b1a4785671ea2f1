package dev.llamagic.engine.gpu;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Samples the GPU memory in use while a benchmark runs: a daemon thread asks nvidia-smi every
 * {@code interval} and keeps only the peaks (the sum of {@code memory.used} over all GPUs, MiB), so it
 * holds a constant amount of memory however long it runs. It stops when closed, and on its own after
 * {@code maxRunning} (a run left open by mistake does not poll forever). Without an NVIDIA GPU it does nothing
 * and every peak is empty.
 */
public final class GpuSampler implements AutoCloseable {
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(500);
    public static final Duration DEFAULT_MAX_RUNNING = Duration.ofHours(6);

    private final Supplier<List<Gpu>> source;
    private final Duration interval;
    private final long deadline;
    private final Thread thread;
    private final List<Gpu> first;
    private long overallPeak = -1;
    private long windowPeak = -1;
    private long samples;
    private volatile boolean stopped;

    /** A sampler polling nvidia-smi on {@code env}'s PATH; inactive when there is no NVIDIA GPU. */
    public static GpuSampler start(Map<String, String> env) {
        NvidiaSmi.Snapshot s = NvidiaSmi.probe(env);
        if (!s.available()) return new GpuSampler(null, List.of(), DEFAULT_INTERVAL, DEFAULT_MAX_RUNNING);
        return new GpuSampler(() -> NvidiaSmi.queryGpus(env), s.gpus(), DEFAULT_INTERVAL, DEFAULT_MAX_RUNNING);
    }

    /** A sampler over any source of GPU readings (tests, other probes); null source = inactive. */
    public GpuSampler(Supplier<List<Gpu>> source, List<Gpu> first, Duration interval, Duration maxRunning) {
        this.source = source;
        this.interval = interval;
        this.first = List.copyOf(first);
        this.deadline = System.nanoTime() + maxRunning.toNanos();
        if (source != null) {
            record(first);
            thread = new Thread(this::loop, "llamagic-gpu-sampler");
            thread.setDaemon(true);
            thread.start();
        } else {
            thread = null;
        }
    }

    /** Whether a GPU is being sampled. */
    public boolean active() {
        return source != null;
    }

    /** The GPUs as first seen (names for the roofline; empty when inactive). */
    public List<Gpu> gpus() {
        return first;
    }

    private void loop() {
        while (!stopped && System.nanoTime() < deadline) {
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (stopped) return;
            sampleNow();
        }
    }

    /** Takes one reading now (also called at the edges of a measured window so short windows get one). */
    public void sampleNow() {
        if (source == null || stopped) return;
        try {
            record(source.get());
        } catch (RuntimeException ignored) {
            // a failed reading is skipped; the peak stays what was seen
        }
    }

    private synchronized void record(List<Gpu> gpus) {
        long sum = 0;
        boolean any = false;
        for (Gpu g : gpus) {
            if (g.memoryUsedMiB() != null) {
                sum += g.memoryUsedMiB();
                any = true;
            }
        }
        if (!any) return;
        samples++;
        overallPeak = Math.max(overallPeak, sum);
        windowPeak = Math.max(windowPeak, sum);
    }

    /** The peak since the previous call (or the start), then starts a new window. */
    public OptionalLong takeWindowPeak() {
        sampleNow();
        synchronized (this) {
            long p = windowPeak;
            windowPeak = -1;
            return p < 0 ? OptionalLong.empty() : OptionalLong.of(p);
        }
    }

    public synchronized OptionalLong peak() {
        return overallPeak < 0 ? OptionalLong.empty() : OptionalLong.of(overallPeak);
    }

    public synchronized long samples() {
        return samples;
    }

    public boolean running() {
        return thread != null && thread.isAlive();
    }

    @Override
    public void close() {
        stopped = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
