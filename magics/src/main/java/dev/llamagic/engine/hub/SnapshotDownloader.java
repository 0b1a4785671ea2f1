package dev.llamagic.engine.hub;

import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Progress;
import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Fetches the files of a snapshot: several files at once, large files cut into byte ranges read over a few
 * connections in parallel (each connection reads a span of consecutive ranges in one request), each range
 * written once at its offset into one staging file in {@code ._____temp}. The sha256 is computed while bytes arrive (the in-order part straight from the network
 * buffer, the rest from the page cache right behind the download); the file moves into place only when it
 * matches. A small journal next to the staging file records how far each range got, so an interrupted or
 * failed run resumes each range where it stopped.
 *
 * <p>The rooms: {@link DownloadPlan} (which files are skipped, hashed or fetched; {@link RangePlan} cuts a file
 * into ranges), {@link ExistingFiles} (hashing files already on disk), {@link StagedFile} (one file in flight:
 * staging file, per-range progress, sha256 as bytes arrive), {@link RangeJournal} (the {@code .llamagic-ranges}
 * resume state), {@link RangeFetcher} (range requests, retries), {@link Placement} (staging → target, atomic).
 * {@link RangeRepair} (a file whose sha256 does not match: find and replace its bad ranges).
 * This class schedules them: files and ranges onto connections, verification, repair after a mismatch.
 */
public final class SnapshotDownloader {
    /** Ranges fetched again at once while repairing a file. */
    static final int REPAIR_PARALLEL = 4;

    /**
     * Tuning. A range that gets fewer than {@code minRate} bytes per second over {@code rateWindow} is cut and
     * retried (a hub that trickles would otherwise hold it forever; a silent one is cut by the read timeout).
     */
    public record Options(int maxWorkers, int connections, long rangeSize, int retries, boolean rehash,
                          long minRate, java.time.Duration rateWindow, int streams) {
        public static final long MIN_RATE = 1024;
        public static final java.time.Duration RATE_WINDOW = java.time.Duration.ofSeconds(30);
        /**
         * Connections per large file: each reads a span of consecutive ranges in one request. Four fill a fast
         * link; more would multiply the requests, and with them the chance that a faulty hub corrupts one.
         */
        public static final int STREAMS = 4;

        public Options(int maxWorkers, int connections, long rangeSize, int retries, boolean rehash) {
            this(maxWorkers, connections, rangeSize, retries, rehash, MIN_RATE, RATE_WINDOW, STREAMS);
        }

        public static Options defaults() {
            return new Options(8, 16, 32L << 20, 5, false);
        }

        /** The same with another minimum rate (bytes/s) over another window. */
        public Options minRate(long bytesPerSecond, java.time.Duration window) {
            return new Options(maxWorkers, connections, rangeSize, retries, rehash, bytesPerSecond, window, streams);
        }

        /** The same with another number of connections per large file. */
        public Options streams(int perFile) {
            if (perFile < 1) throw new IllegalArgumentException("streams per file must be positive");
            return new Options(maxWorkers, connections, rangeSize, retries, rehash, minRate, rateWindow, perFile);
        }
    }

    /** What happened to one file. */
    public record FileResult(String path, long size, double seconds, long fetched, String verified) {
        public double mbPerSecond() {
            return seconds > 0 && fetched > 0 ? fetched / 1e6 / seconds : 0;
        }
    }

    /** Makes the progress bars (bytes). */
    @FunctionalInterface
    public interface Bars {
        Progress create(String title, long total);
    }

    /** What happened to the snapshot {@code repo} ("owner/name"). */
    public record Result(String repo, Path dir, List<FileResult> files, long fetched, double seconds) {}

    private final ModelScopeClient client;
    private final Options opt;
    private final BooleanSupplier stopRequested;
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private volatile boolean cancelled;
    private final Object lock = new Object();
    private final RangeFetcher fetcher;

    /** @param stopRequested polled often; true stops every transfer (the cell was interrupted) */
    public SnapshotDownloader(ModelScopeClient client, Options opt, BooleanSupplier stopRequested) {
        this.client = client;
        this.opt = opt;
        this.stopRequested = stopRequested;
        this.fetcher = new RangeFetcher(client, opt.retries(), opt.minRate(), opt.rateWindow(), () -> cancelled);
    }

    /**
     * Downloads {@code files} (already filtered and checked against the layout) into the layout. Files whose
     * bytes are already verified are skipped; a file on disk with the wrong content is replaced.
     */
    public Result download(String owner, String name, String revision, List<RepoFile> files, Layout layout,
                           Bars bars, VerifiedRecord record) throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(layout.root());
        Placement.checkConfined(layout, files);
        try (TargetLock lock = TargetLock.acquire(layout.root())) {
            Result r = downloadLocked(owner, name, revision, files, layout, bars, record, t0);
            Placement.tidy(layout);
            return r;
        }
    }

    private Result downloadLocked(String owner, String name, String revision, List<RepoFile> files, Layout layout,
                                  Bars bars, VerifiedRecord record, long t0) throws IOException {
        List<FileResult> results = Collections.synchronizedList(new ArrayList<>());
        List<RepoFile> verifiedFiles = Collections.synchronizedList(new ArrayList<>());
        DownloadPlan plan = DownloadPlan.of(files, layout, record, opt.rehash());
        for (RepoFile f : plan.trusted()) {
            results.add(new FileResult(f.path(), f.size(), 0, 0, "skipped: verified before"));
            verifiedFiles.add(f);
        }
        List<RepoFile> toFetch = new ArrayList<>(plan.toFetch());
        if (!plan.toHash().isEmpty()) {
            long hashBytes = 0;
            for (RepoFile f : plan.toHash()) hashBytes += f.size();
            ExistingFiles.Checked checked = ExistingFiles.verify(plan.toHash(), layout, record,
                    bars.create("verify files already on disk", hashBytes), stopRequested);
            for (RepoFile f : checked.good()) {
                results.add(new FileResult(f.path(), f.size(), 0, 0, "skipped: sha256 checked now"));
                verifiedFiles.add(f);
            }
            toFetch.addAll(checked.wrong());
        }

        // zero-length files are created, not fetched
        for (RepoFile f : new ArrayList<>(toFetch)) {
            if (f.size() == 0) {
                Path target = layout.target(f.path());
                Files.createDirectories(target.getParent());
                Files.deleteIfExists(target);
                Files.createFile(target);
                record.put(f.path(), target, f.sha256());
                results.add(new FileResult(f.path(), 0, 0, 0, "empty file"));
                verifiedFiles.add(f);
                toFetch.remove(f);
            }
        }

        // before any range is planned: a listed size no disk holds fails here, not in the planner
        long atMost = 0;
        for (RepoFile f : toFetch) {
            Path st = layout.staging(f.path());
            atMost += f.size() - (Files.isRegularFile(st) ? Math.min(Files.size(st), f.size()) : 0);
        }
        checkSpace(layout, atMost, List.of());

        List<StagedFile> jobs = new ArrayList<>();
        for (RepoFile f : toFetch) {
            jobs.add(new StagedFile(f, client.fileUrl(owner, name, revision, f.path()), layout.staging(f.path()),
                    layout.target(f.path()), opt.rangeSize(), opt.streams(), () -> cancelled));
        }
        long staged = 0;
        long total = 0;
        for (StagedFile j : jobs) {
            j.open();
            staged += j.resumed;
            total += j.file.size();
        }
        checkSpace(layout, total - staged, jobs);

        int filesTotal = files.size();
        AtomicInteger filesDone = new AtomicInteger(filesTotal - jobs.size());
        long fetchTotal = total;
        Progress bar = bars.create("download " + owner + "/" + name, fetchTotal);
        bar.set(staged);
        bar.detail(filesDone.get() + "/" + filesTotal + " files");
        try {
            if (!jobs.isEmpty()) run(jobs, bar, filesDone, filesTotal, record, results, verifiedFiles);
        } catch (Interrupted e) {
            bar.fail("interrupted: run it again to resume");
            throw e;
        } catch (RuntimeException | IOException e) {
            bar.fail(e.getMessage());
            throw e;
        } finally {
            try {
                LegacyCache.write(layout, new ArrayList<>(verifiedFiles), revision, createdAt);
            } catch (IOException ignored) {
                // the official index is a courtesy; our own record is what we rely on
            }
        }
        long fetched = 0;
        for (StagedFile j : jobs) fetched += j.fetched;
        double secs = (System.nanoTime() - t0) / 1e9;
        bar.finish(filesTotal + "/" + filesTotal + " files, " + Units.bytes(fetched) + " fetched");
        List<FileResult> ordered = new ArrayList<>();
        for (RepoFile f : files) {
            for (FileResult r : results) if (r.path().equals(f.path())) ordered.add(r);
        }
        return new Result(owner + "/" + name, layout.root(), ordered, fetched, secs);
    }

    private long createdAt;

    /** The revision's CreatedAt, written into the official .mv. */
    public SnapshotDownloader createdAt(long createdAt) {
        this.createdAt = createdAt;
        return this;
    }

    private void checkSpace(Layout layout, long needed, List<StagedFile> jobs) throws IOException {
        if (needed <= 0) return;
        long free = Files.getFileStore(layout.root()).getUsableSpace();
        // the staging files are already sized by what they hold; the target files replace the old ones on move
        long margin = 64L << 20;
        if (needed + margin > free) {
            throw new HubException(0, "not enough disk space in " + layout.root() + ": the download needs "
                    + Units.bytes(needed) + " more but only " + Units.bytes(free) + " is free; free "
                    + Units.bytes(needed + margin - free) + " or choose another --local_dir");
        }
    }

    private void run(List<StagedFile> jobs, Progress bar, AtomicInteger filesDone, int filesTotal, VerifiedRecord record,
                     List<FileResult> results, List<RepoFile> verifiedFiles) throws IOException {
        ArrayDeque<StagedFile> queue = new ArrayDeque<>(jobs);
        List<StagedFile> active = new ArrayList<>();
        Semaphore slots = new Semaphore(opt.connections());
        ExecutorService pool = Executors.newFixedThreadPool(opt.connections(), daemon("llamagic-fetch"));
        ExecutorService hashers = Executors.newFixedThreadPool(Math.max(1, Math.min(opt.maxWorkers(), jobs.size())),
                daemon("llamagic-sha256"));
        for (StagedFile j : jobs) j.hashers = hashers;
        long lastJournal = System.nanoTime();
        boolean interrupted = false;
        try {
            while (true) {
                if (failure.get() != null) break;
                if (stopRequested.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                    interrupted = true;
                    break;
                }
                StagedFile job = null;
                StagedFile finishing = null;
                int idx = -1;
                synchronized (lock) {
                    active.removeIf(j -> j.complete);
                    while (active.size() < opt.maxWorkers() && !queue.isEmpty()) active.add(queue.poll());
                    if (active.isEmpty()) break;
                    for (StagedFile j : active) {
                        synchronized (j) {
                            while (j.next < j.spans.size() && j.spanComplete(j.next)) j.next++;
                            if (j.next < j.spans.size()) {
                                job = j;
                                idx = j.next++;
                                j.running++;
                                if (j.started == 0) j.started = System.nanoTime();
                                break;
                            }
                        }
                    }
                    if (job == null) {
                        // a job whose ranges were all on disk already (or all just fetched): finish it here
                        for (StagedFile j : active) {
                            synchronized (j) {
                                if (!j.complete && j.running == 0 && j.finished >= j.spans.size()) {
                                    finishing = j;
                                    if (j.started == 0) j.started = System.nanoTime();
                                    j.running++; // nobody else finishes it meanwhile
                                    break;
                                }
                            }
                        }
                        if (finishing == null) {
                            try {
                                lock.wait(100);
                            } catch (InterruptedException e) {
                                interrupted = true;
                                break;
                            }
                        }
                    }
                }
                if (finishing != null) {
                    try {
                        complete(finishing, bar, filesDone, filesTotal, record, results, verifiedFiles);
                    } catch (Interrupted e) {
                        // the loop sees the stop request
                    } catch (RuntimeException | IOException e) {
                        failure.compareAndSet(null, e instanceof RuntimeException re ? re : new HubException(0, e.getMessage()));
                    } finally {
                        synchronized (finishing) {
                            finishing.running--;
                        }
                    }
                    continue;
                }
                if (System.nanoTime() - lastJournal > 2_000_000_000L) {
                    for (StagedFile j : active) j.saveJournal();
                    lastJournal = System.nanoTime();
                }
                if (job == null) continue;
                try {
                    while (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        if (stopRequested.getAsBoolean() || failure.get() != null) break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    synchronized (job) {
                        job.running--;
                        job.next = Math.min(job.next, idx);
                    }
                    break;
                }
                if (stopRequested.getAsBoolean() || failure.get() != null) {
                    interrupted |= stopRequested.getAsBoolean();
                    synchronized (job) {
                        job.running--;
                    }
                    break;
                }
                StagedFile j = job;
                int i = idx;
                pool.execute(() -> {
                    boolean fetched = false;
                    try {
                        fetcher.fetchSpan(j, i, bar);
                        fetched = true;
                        boolean last;
                        synchronized (j) {
                            j.running--;
                            j.finished++;
                            last = j.finished == j.spans.size() && j.running == 0;
                            if (last) j.running++; // claimed: the main loop leaves it to us
                        }
                        if (last) {
                            try {
                                if (!cancelled) complete(j, bar, filesDone, filesTotal, record, results, verifiedFiles);
                            } finally {
                                synchronized (j) {
                                    j.running--;
                                }
                            }
                        }
                    } catch (Throwable t) {
                        if (!fetched) {
                            synchronized (j) {
                                j.running--;
                            }
                        }
                        if (!cancelled && !(t instanceof Interrupted)) {
                            failure.compareAndSet(null, t instanceof RuntimeException re ? re
                                    : new HubException(0, j.file.path() + ": " + t.getMessage()));
                        }
                    } finally {
                        slots.release();
                        synchronized (lock) {
                            lock.notifyAll();
                        }
                    }
                });
            }
        } finally {
            boolean wasInterrupted = Thread.interrupted() || interrupted || stopRequested.getAsBoolean();
            cancelled = true;
            fetcher.cancelAll();
            pool.shutdown();
            try {
                if (!pool.awaitTermination(15, TimeUnit.SECONDS)) pool.shutdownNow();
            } catch (InterruptedException e) {
                pool.shutdownNow();
            }
            hashers.shutdown();
            try {
                hashers.awaitTermination(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                hashers.shutdownNow();
            }
            for (StagedFile j : jobs) {
                if (!j.complete) j.saveJournal();
                j.closeChannel();
            }
            if (wasInterrupted && failure.get() == null) {
                Thread.interrupted();
                throw new Interrupted();
            }
        }
        RuntimeException f = failure.get();
        if (f != null) throw f;
    }

    /** All ranges are on disk: check the sha256 (on a mismatch, repair the bad ranges), then move into place. */
    private void complete(StagedFile job, Progress bar, AtomicInteger filesDone, int filesTotal, VerifiedRecord record,
                          List<FileResult> results, List<RepoFile> verifiedFiles) throws IOException {
        String got = job.finishHash();
        String want = job.file.sha256();
        if (want != null && !want.equals(got)) {
            new RangeRepair(job, fetcher, Math.min(REPAIR_PARALLEL, opt.connections()), bar,
                    () -> cancelled || stopRequested.getAsBoolean()).run(want);
            got = want;
            bar.detail(filesDone.get() + "/" + filesTotal + " files");
        }
        synchronized (job) {
            job.placed = true;
        }
        job.closeChannel();
        Placement.place(job.staging, job.journal, job.target);
        record.put(job.file.path(), job.target, got);
        job.ended = System.nanoTime();
        double secs = Math.max(1e-6, (job.ended - job.started) / 1e9);
        String how = want == null ? "size only (no sha256 listed)"
                : "sha256 ok" + (job.repaired > 0 ? " (repaired: " + job.repaired + " of " + job.ranges.size()
                + " ranges refetched)" : "")
                + (job.resumed > 0 ? " (resumed " + Units.bytes(job.resumed) + ")" : "");
        results.add(new FileResult(job.file.path(), job.file.size(), secs, job.fetched, how));
        verifiedFiles.add(job.file);
        synchronized (job) {
            job.complete = true;
        }
        bar.detail(filesDone.incrementAndGet() + "/" + filesTotal + " files");
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
