package dev.llamagic.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llamagic.util.AtomicFiles;
import dev.llamagic.util.Hashes;
import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Progress;
import dev.llamagic.util.Units;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Fetches the files of a snapshot: several files at once, large files cut into byte ranges fetched in parallel
 * over separate connections, each range written once at its offset into one staging file in
 * {@code ._____temp}. The sha256 is computed while bytes arrive (the in-order part straight from the network
 * buffer, the rest from the page cache right behind the download); the file moves into place only when it
 * matches. A small journal next to the staging file records how far each range got, so an interrupted or
 * failed run resumes each range where it stopped.
 */
public final class SnapshotDownloader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BUFFER = 256 * 1024;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    static final int SHA_ATTEMPTS = 3;

    /** Tuning. */
    public record Options(int maxWorkers, int connections, long rangeSize, int retries, boolean rehash) {
        public static Options defaults() {
            return new Options(8, 16, 32L << 20, 5, false);
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
    private final Set<Call> calls = ConcurrentHashMap.newKeySet();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private volatile boolean cancelled;
    private final Object lock = new Object();
    private ExecutorService hashers;

    /** @param stopRequested polled often; true stops every transfer (the cell was interrupted) */
    public SnapshotDownloader(ModelScopeClient client, Options opt, BooleanSupplier stopRequested) {
        this.client = client;
        this.opt = opt;
        this.stopRequested = stopRequested;
    }

    /** One file being fetched. */
    final class Job {
        final RepoFile file;
        final HttpUrl url;
        final Path staging;
        final Path journal;
        final Path target;
        final List<RangePlan.Range> ranges;
        final long[] done;
        final ReentrantLock hashLock = new ReentrantLock();
        FileChannel channel;
        MessageDigest md;
        volatile long hashed;
        int next;          // next range to dispatch
        int finished;      // ranges finished
        int running;       // ranges in flight
        int shaAttempts;
        long fetched;
        long resumed;
        long started;
        long ended;
        boolean complete;
        /** Verified and being moved into place: no journal may be written any more (guarded by the job's monitor). */
        boolean placed;

        Job(RepoFile file, HttpUrl url, Path staging, Path target) {
            this.file = file;
            this.url = url;
            this.staging = staging;
            this.journal = staging.resolveSibling(staging.getFileName() + ".llamagic-ranges");
            this.target = target;
            this.ranges = RangePlan.plan(file.size(), opt.rangeSize());
            this.done = new long[ranges.size()];
        }

        /** Opens the staging file and takes over what an earlier run left: our journal, else a plain prefix. */
        void open() throws IOException {
            Files.createDirectories(staging.getParent());
            md = Hashes.sha256();
            hashed = 0;
            boolean journaled = false;
            if (Files.isRegularFile(journal) && Files.isRegularFile(staging)) {
                try {
                    JsonNode j = JSON.readTree(journal.toFile());
                    if (j.path("size").asLong() == file.size() && j.path("sha256").asText("").equals(String.valueOf(file.sha256()))) {
                        List<RangePlan.Range> was = new ArrayList<>();
                        List<Long> wasDone = new ArrayList<>();
                        for (JsonNode r : j.path("ranges")) {
                            was.add(new RangePlan.Range(r.path("start").asLong(), r.path("end").asLong()));
                            wasDone.add(r.path("done").asLong());
                        }
                        adopt(was, wasDone);
                        journaled = true;
                    }
                } catch (IOException | RuntimeException e) {
                    journaled = false;
                }
            }
            if (!journaled && Files.isRegularFile(staging)) {
                // the official client's partial file: a contiguous prefix
                long have = Math.min(Files.size(staging), file.size());
                adopt(List.of(new RangePlan.Range(0, Math.max(0, file.size() - 1))), List.of(have));
            }
            channel = FileChannel.open(staging, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (channel.size() > file.size()) channel.truncate(file.size());
            resumed = 0;
            for (long d : done) resumed += d;
            finished = 0;
            for (int i = 0; i < ranges.size(); i++) if (done[i] >= ranges.get(i).length()) finished++;
        }

        /** Marks as done every byte of our ranges that lies inside a done prefix of one of the old ranges. */
        private void adopt(List<RangePlan.Range> was, List<Long> wasDone) {
            java.util.Arrays.fill(done, 0);
            for (int i = 0; i < ranges.size(); i++) {
                RangePlan.Range r = ranges.get(i);
                for (int k = 0; k < was.size(); k++) {
                    RangePlan.Range w = was.get(k);
                    long wEnd = w.start() + wasDone.get(k); // exclusive
                    if (r.start() >= w.start() && r.start() < wEnd) {
                        done[i] = Math.max(done[i], Math.min(r.length(), wEnd - r.start()));
                    }
                }
            }
        }

        synchronized long prefix() {
            long p = 0;
            for (int i = 0; i < ranges.size(); i++) {
                RangePlan.Range r = ranges.get(i);
                if (done[i] >= r.length()) {
                    p = r.end() + 1;
                } else {
                    return r.start() + done[i];
                }
            }
            return p;
        }

        final java.util.concurrent.atomic.AtomicBoolean hashing = new java.util.concurrent.atomic.AtomicBoolean();

        /** Bytes [pos, pos+n) of range i arrived and were written; {@code data} holds them (position..limit). */
        void wrote(int i, long pos, ByteBuffer data, int n) {
            synchronized (this) {
                done[i] += n;
                fetched += n;
            }
            if (pos == hashed && hashLock.tryLock()) {
                try {
                    if (pos == hashed) {
                        md.update(data);
                        hashed += n;
                    }
                } finally {
                    hashLock.unlock();
                }
            }
            if (prefix() > hashed && hashing.compareAndSet(false, true)) {
                hashers.execute(this::hashBehind);
            }
        }

        /** On a hasher thread: hashes the written prefix from the page cache right behind the download. */
        private void hashBehind() {
            try {
                while (true) {
                    hashLock.lock();
                    try {
                        catchUp(Long.MAX_VALUE);
                    } finally {
                        hashLock.unlock();
                    }
                    hashing.set(false);
                    if (cancelled || prefix() <= hashed || !hashing.compareAndSet(false, true)) return;
                }
            } catch (IOException e) {
                hashing.set(false); // finishHash() reads it again and reports
            }
        }

        /** Hashes from disk whatever contiguous prefix is written but not hashed yet (at most limit bytes). */
        private void catchUp(long limit) throws IOException {
            long upTo = Math.min(prefix(), limit >= Long.MAX_VALUE - hashed ? Long.MAX_VALUE : hashed + limit);
            if (upTo <= hashed) return;
            ByteBuffer bb = ByteBuffer.allocate(1 << 20);
            while (hashed < upTo) {
                bb.clear();
                bb.limit((int) Math.min(bb.capacity(), upTo - hashed));
                int n = channel.read(bb, hashed);
                if (n <= 0) throw new EOFException("staging file " + staging + " shorter than recorded");
                md.update(bb.array(), 0, n);
                hashed += n;
            }
        }

        String finishHash() throws IOException {
            hashLock.lock();
            try {
                catchUp(Long.MAX_VALUE);
                return HexFormat.of().formatHex(md.digest());
            } finally {
                hashLock.unlock();
            }
        }

        void saveJournal() {
            ObjectNode j = JSON.createObjectNode();
            j.put("size", file.size());
            j.put("sha256", String.valueOf(file.sha256()));
            ArrayNode rs = j.putArray("ranges");
            // written under the monitor, so that complete() (which sets placed under it, then deletes the journal)
            // never races a periodic save into leaving a journal beside a finished file
            synchronized (this) {
                if (placed) return;
                for (int i = 0; i < ranges.size(); i++) {
                    ObjectNode r = rs.addObject();
                    r.put("start", ranges.get(i).start());
                    r.put("end", ranges.get(i).end());
                    r.put("done", done[i]);
                }
                try {
                    AtomicFiles.write(journal, JSON.writeValueAsBytes(j));
                } catch (IOException e) {
                    // the next run re-fetches what the journal does not cover
                }
            }
        }

        void closeChannel() {
            try {
                if (channel != null) channel.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }

        /**
         * Throws away the staging bytes after a sha256 mismatch; the ranges are fetched again.
         * Lock order everywhere: hashLock, then the job's monitor.
         */
        void reset() throws IOException {
            hashLock.lock();
            try {
                synchronized (this) {
                    java.util.Arrays.fill(done, 0);
                    next = 0;
                    finished = 0;
                }
                channel.truncate(0);
                md = Hashes.sha256();
                hashed = 0;
            } finally {
                hashLock.unlock();
            }
            Files.deleteIfExists(journal);
        }
    }

    /**
     * Downloads {@code files} (already filtered and checked against the layout) into the layout. Files whose
     * bytes are already verified are skipped; a file on disk with the wrong content is replaced.
     */
    public Result download(String owner, String name, String revision, List<RepoFile> files, Layout layout,
                           Bars bars, VerifiedRecord record) throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(layout.root());
        List<FileResult> results = Collections.synchronizedList(new ArrayList<>());
        List<RepoFile> toFetch = new ArrayList<>();
        List<RepoFile> toHash = new ArrayList<>();
        List<RepoFile> verifiedFiles = Collections.synchronizedList(new ArrayList<>());
        for (RepoFile f : files) {
            Path target = layout.target(f.path());
            boolean present = Files.isRegularFile(target);
            long size = present ? Files.size(target) : -1;
            if (present && size == f.size() && !opt.rehash() && record.trusts(f.path(), target, f.size(), f.sha256())) {
                results.add(new FileResult(f.path(), f.size(), 0, 0, "skipped: verified before"));
                verifiedFiles.add(f);
            } else if (present && size == f.size()) {
                toHash.add(f);
            } else {
                toFetch.add(f);
            }
        }
        if (!toHash.isEmpty()) verifyExisting(toHash, layout, record, bars, results, verifiedFiles, toFetch);

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

        List<Job> jobs = new ArrayList<>();
        for (RepoFile f : toFetch) {
            jobs.add(new Job(f, client.fileUrl(owner, name, revision, f.path()), layout.staging(f.path()), layout.target(f.path())));
        }
        long staged = 0;
        long total = 0;
        for (Job j : jobs) {
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
        for (Job j : jobs) fetched += j.fetched;
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

    private void checkSpace(Layout layout, long needed, List<Job> jobs) throws IOException {
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

    /** Files of the right size but no (current) record: hashed once, in parallel; a mismatch is fetched again. */
    private void verifyExisting(List<RepoFile> toHash, Layout layout, VerifiedRecord record, Bars bars,
                                List<FileResult> results, List<RepoFile> verifiedFiles, List<RepoFile> toFetch) throws IOException {
        long total = 0;
        for (RepoFile f : toHash) total += f.size();
        Progress bar = bars.create("verify files already on disk", total);
        int threads = Math.max(1, Math.min(toHash.size(), Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, daemon("llamagic-verify"));
        List<java.util.concurrent.Future<String>> hashes = new ArrayList<>();
        for (RepoFile f : toHash) {
            hashes.add(pool.submit(() -> hashFile(layout.target(f.path()), bar)));
        }
        pool.shutdown();
        try {
            for (int i = 0; i < toHash.size(); i++) {
                RepoFile f = toHash.get(i);
                String got;
                while (true) {
                    if (stopRequested.getAsBoolean()) {
                        cancelled = true;
                        pool.shutdownNow();
                        bar.fail("interrupted");
                        throw new Interrupted();
                    }
                    try {
                        got = hashes.get(i).get(100, TimeUnit.MILLISECONDS);
                        break;
                    } catch (java.util.concurrent.TimeoutException e) {
                        // poll the interrupt again
                    } catch (InterruptedException e) {
                        cancelled = true;
                        pool.shutdownNow();
                        bar.fail("interrupted");
                        throw new Interrupted();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new IOException("cannot read " + layout.target(f.path()) + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
                Path target = layout.target(f.path());
                if (f.sha256() == null || f.sha256().equals(got)) {
                    record.put(f.path(), target, got);
                    results.add(new FileResult(f.path(), f.size(), 0, 0, "skipped: sha256 checked now"));
                    verifiedFiles.add(f);
                } else {
                    record.remove(f.path());
                    toFetch.add(f); // wrong content: replaced by a fresh download (the old file stays until then)
                }
            }
            bar.finish(toHash.size() + " checked");
        } finally {
            bar.close();
        }
    }

    private String hashFile(Path p, Progress bar) throws IOException {
        MessageDigest md = Hashes.sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(p)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (cancelled) throw new IOException("cancelled");
                md.update(buf, 0, n);
                bar.add(n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private void run(List<Job> jobs, Progress bar, AtomicInteger filesDone, int filesTotal, VerifiedRecord record,
                     List<FileResult> results, List<RepoFile> verifiedFiles) throws IOException {
        ArrayDeque<Job> queue = new ArrayDeque<>(jobs);
        List<Job> active = new ArrayList<>();
        Semaphore slots = new Semaphore(opt.connections());
        ExecutorService pool = Executors.newFixedThreadPool(opt.connections(), daemon("llamagic-fetch"));
        hashers = Executors.newFixedThreadPool(Math.max(1, Math.min(opt.maxWorkers(), jobs.size())), daemon("llamagic-sha256"));
        long lastJournal = System.nanoTime();
        boolean interrupted = false;
        try {
            while (true) {
                if (failure.get() != null) break;
                if (stopRequested.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                    interrupted = true;
                    break;
                }
                Job job = null;
                Job finishing = null;
                int idx = -1;
                synchronized (lock) {
                    active.removeIf(j -> j.complete);
                    while (active.size() < opt.maxWorkers() && !queue.isEmpty()) active.add(queue.poll());
                    if (active.isEmpty()) break;
                    for (Job j : active) {
                        synchronized (j) {
                            while (j.next < j.ranges.size() && j.done[j.next] >= j.ranges.get(j.next).length()) j.next++;
                            if (j.next < j.ranges.size()) {
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
                        for (Job j : active) {
                            synchronized (j) {
                                if (!j.complete && j.running == 0 && j.finished >= j.ranges.size()) {
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
                    for (Job j : active) j.saveJournal();
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
                Job j = job;
                int i = idx;
                pool.execute(() -> {
                    boolean fetched = false;
                    try {
                        fetchRange(j, i, bar);
                        fetched = true;
                        boolean last;
                        synchronized (j) {
                            j.running--;
                            j.finished++;
                            last = j.finished == j.ranges.size() && j.running == 0;
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
                        if (!cancelled) {
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
            for (Call c : calls) c.cancel();
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
            for (Job j : jobs) {
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

    /** Fetches what is missing of range i of a job, resuming and retrying with backoff. */
    private void fetchRange(Job job, int i, Progress bar) throws IOException {
        RangePlan.Range r = job.ranges.get(i);
        int failures = 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        while (true) {
            if (cancelled) throw new IOException("cancelled");
            long from;
            synchronized (job) {
                from = r.start() + job.done[i];
            }
            if (from > r.end()) return;
            long before = from;
            Call call = client.rangeCall(job.url, from, r.end());
            calls.add(call);
            try (Response resp = call.execute()) {
                long skip = bodyOffset(job, resp, from, r.end());
                ResponseBody body = resp.body();
                if (body == null) throw new EOFException("empty body");
                if (skip > 0) {
                    // a 200 without Content-Range: the body starts at byte 0, so read past what we have
                    try {
                        body.source().skip(skip);
                    } catch (EOFException e) {
                        throw new EOFException("body ended before byte " + from);
                    }
                }
                okio.BufferedSource src = body.source();
                long pos = from;
                while (pos <= r.end()) {
                    if (cancelled) throw new IOException("cancelled");
                    // fill the whole buffer first (okio hands out 8 KiB segments): one write, one hash step per 256 KiB
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), r.end() - pos + 1));
                    boolean eof = false;
                    while (buf.hasRemaining()) {
                        if (src.read(buf) < 0) {
                            eof = true;
                            break;
                        }
                    }
                    int n = buf.position();
                    if (n > 0) {
                        buf.flip();
                        long at = pos;
                        try {
                            while (buf.hasRemaining()) at += job.channel.write(buf, at);
                        } catch (IOException e) {
                            if (cancelled) throw e;
                            // the disk, not the network: no retry helps
                            throw new HubException(0, "cannot write " + job.staging + ": " + e.getMessage());
                        }
                        buf.flip();
                        job.wrote(i, pos, buf, n);
                        bar.add(n);
                        pos += n;
                    }
                    if (eof) throw new EOFException("connection closed at byte " + pos + " of " + job.file.path());
                }
                return;
            } catch (HubException e) {
                throw e;
            } catch (IOException e) {
                if (cancelled) throw e;
                long progress;
                synchronized (job) {
                    progress = r.start() + job.done[i] - before;
                }
                if (progress >= (1L << 20)) failures = 0;
                failures++;
                if (failures > opt.retries()) {
                    throw new HubException(0, "gave up on " + job.file.path() + " after " + opt.retries()
                            + " retries: " + e.getMessage() + " (run it again to resume)");
                }
                backoff(failures);
            } finally {
                calls.remove(call);
            }
        }
    }

    /** Checks the status and range of an answer; returns how many leading body bytes to skip. */
    private long bodyOffset(Job job, Response resp, long from, long end) throws IOException {
        int code = resp.code();
        if (code == 401 || code == 403 || code == 404) {
            HubException e = client.httpError(resp, job.file.path());
            if (code == 404) throw new HubException(404, "the hub has no file " + job.file.path() + " (HTTP 404 at "
                    + resp.request().url().host() + ":" + resp.request().url().port() + "); the listing may be stale: run it again");
            throw e;
        }
        if (code == 408 || code == 429 || code >= 500) throw new IOException("HTTP " + code + " " + resp.message());
        if (code != 200 && code != 206) {
            throw new HubException(code, "HTTP " + code + " " + resp.message() + " for " + job.file.path() + " bytes "
                    + from + "-" + end);
        }
        String cr = resp.header("Content-Range");
        if (cr != null) {
            Matcher m = CONTENT_RANGE.matcher(cr.trim());
            if (!m.find()) throw new IOException("unreadable Content-Range '" + cr + "'");
            long a = Long.parseLong(m.group(1));
            long b = Long.parseLong(m.group(2));
            if (!"*".equals(m.group(3)) && Long.parseLong(m.group(3)) != job.file.size()) {
                throw new HubException(0, job.file.path() + " is " + m.group(3) + " bytes on the hub's storage but "
                        + job.file.size() + " in the listing: run it again later");
            }
            if (a > from || b < Math.min(end, a)) throw new IOException("asked bytes " + from + "-" + end + ", got " + cr);
            return from - a;
        }
        if (code == 206) throw new IOException("206 without Content-Range");
        // 200 without Content-Range: the whole file from byte 0
        return from;
    }

    private void backoff(int failures) throws IOException {
        long ms = Math.min(8000, 250L << Math.min(10, failures - 1));
        long until = System.nanoTime() + ms * 1_000_000L;
        while (System.nanoTime() < until) {
            if (cancelled) throw new IOException("cancelled");
            try {
                Thread.sleep(Math.min(50, ms));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** All ranges are on disk: check the sha256, then move into place; on a mismatch fetch it again (3 tries). */
    private void complete(Job job, Progress bar, AtomicInteger filesDone, int filesTotal, VerifiedRecord record,
                          List<FileResult> results, List<RepoFile> verifiedFiles) throws IOException {
        String got = job.finishHash();
        String want = job.file.sha256();
        if (want != null && !want.equals(got)) {
            synchronized (job) {
                job.shaAttempts++;
            }
            if (job.shaAttempts >= SHA_ATTEMPTS) {
                job.closeChannel();
                Files.deleteIfExists(job.staging);
                Files.deleteIfExists(job.journal);
                throw new HubException(0, "sha256 mismatch for " + job.file.path() + " after " + SHA_ATTEMPTS
                        + " downloads: expected " + want + ", got " + got);
            }
            long had;
            synchronized (job) {
                had = 0;
                for (long d : job.done) had += d;
            }
            job.reset();
            bar.add(-had);
            synchronized (lock) {
                lock.notifyAll();
            }
            return;
        }
        synchronized (job) {
            job.placed = true;
        }
        job.closeChannel();
        Files.createDirectories(job.target.getParent());
        Files.move(job.staging, job.target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(job.journal);
        record.put(job.file.path(), job.target, got);
        job.ended = System.nanoTime();
        double secs = Math.max(1e-6, (job.ended - job.started) / 1e9);
        String how = want == null ? "size only (no sha256 listed)"
                : "sha256 ok" + (job.shaAttempts > 0 ? " (after " + job.shaAttempts + " refetch)" : "")
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

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
