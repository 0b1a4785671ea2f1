package dev.llamagic.engine.hub;

import dev.llamagic.util.Hashes;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import okhttp3.HttpUrl;

/**
 * One file being fetched: its byte ranges and how far each got, the staging file the ranges are written into at
 * their offsets, and the sha256 computed as bytes arrive (the in-order part straight from the network buffer, the
 * rest from the page cache right behind the download, on a hasher thread). Lock order everywhere: hashLock, then
 * the object's monitor.
 */
final class StagedFile {
    final RepoFile file;
    final HttpUrl url;
    final Path staging;
    final Path journal;
    final Path target;
    final List<RangePlan.Range> ranges;
    /** The ranges grouped by connection: each span is read in one request across its ranges. */
    final List<RangePlan.Span> spans;
    final long[] done;
    final ReentrantLock hashLock = new ReentrantLock();
    private final AtomicBoolean hashing = new AtomicBoolean();
    private final BooleanSupplier cancelled;
    /** Where hashing from disk runs; set before the first range is fetched. */
    Executor hashers;
    FileChannel channel;
    MessageDigest md;
    volatile long hashed;
    int next;          // next span to dispatch
    int finished;      // spans finished
    int running;       // spans in flight (or the file being finished)
    /** The whole-file digest's state before range i (a clone taken as hashing passes each range's start). */
    final MessageDigest[] states;
    /** Per range: the sha256 of its bytes on disk once known (null until then), and whether two copies agreed. */
    final String[] rangeSha;
    final boolean[] verified;
    /**
     * Per range: how many corrupted responses are expected to have landed in it, if each response were corrupted
     * once at a uniformly drawn place (the sum over the responses that wrote into it of the share of their bytes it
     * got). A range read within a long response is less suspect than one that took a short response of its own
     * (after a cut): the repair checks the most suspect ranges per byte first. Guarded by the monitor.
     */
    final double[] suspicion;
    /** What the last repair did (ranges whose bytes were replaced, bytes fetched for it). */
    int repaired;
    long fetched;
    long resumed;
    long started;
    long ended;
    boolean complete;
    /** Verified and being moved into place: no journal may be written any more (guarded by the monitor). */
    boolean placed;

    StagedFile(RepoFile file, HttpUrl url, Path staging, Path target, long rangeSize, int streams,
               BooleanSupplier cancelled) {
        this.file = file;
        this.url = url;
        this.staging = staging;
        this.journal = RangeJournal.of(staging);
        this.target = target;
        this.ranges = RangePlan.plan(file.size(), rangeSize);
        this.spans = RangePlan.spans(ranges.size(), streams);
        this.done = new long[ranges.size()];
        this.suspicion = new double[ranges.size()];
        this.states = new MessageDigest[ranges.size()];
        this.rangeSha = new String[ranges.size()];
        this.verified = new boolean[ranges.size()];
        this.cancelled = cancelled;
    }

    /**
     * Opens the staging file and takes over what an earlier run left: our journal, else (no journal) a plain
     * prefix as the official client leaves it. A journal that cannot be read or is about other bytes means the
     * staging file holds ranges at unknown offsets: it starts over.
     */
    void open() throws IOException {
        Files.createDirectories(staging.getParent());
        md = Hashes.sha256();
        hashed = 0;
        long[] had = null;
        boolean startOver = false;
        if (Files.isRegularFile(staging)) {
            if (Files.exists(journal)) {
                had = RangeJournal.load(journal, file, ranges);
                startOver = had == null;
            } else {
                had = RangeJournal.prefix(ranges, Math.min(Files.size(staging), file.size()));
            }
        }
        Arrays.fill(done, 0);
        if (had != null) System.arraycopy(had, 0, done, 0, done.length);
        Arrays.fill(states, null);
        Arrays.fill(rangeSha, null);
        Arrays.fill(verified, false);
        if (had != null && Files.exists(journal)) RangeJournal.loadMarks(journal, ranges, done, rangeSha, verified);
        channel = FileChannel.open(staging, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (startOver) channel.truncate(0);
        if (channel.size() > file.size()) channel.truncate(file.size());
        resumed = 0;
        for (int i = 0; i < done.length; i++) {
            resumed += done[i];
            // where bytes from an earlier run came from is not known: as if each range had a response of its own
            suspicion[i] = (double) done[i] / ranges.get(i).length();
        }
        finished = 0;
        for (int k = 0; k < spans.size(); k++) if (spanComplete(k)) finished++;
    }

    synchronized boolean complete(int i) {
        return done[i] >= ranges.get(i).length();
    }

    synchronized boolean spanComplete(int k) {
        RangePlan.Span s = spans.get(k);
        for (int i = s.first(); i <= s.last(); i++) if (!complete(i)) return false;
        return true;
    }

    /** A response wrote bytes [from, to) of the file: each range it reached takes its share of the suspicion. */
    synchronized void responded(long from, long to) {
        if (to <= from) return;
        for (int i = rangeAt(from); i >= 0 && i < ranges.size() && ranges.get(i).start() < to; i++) {
            RangePlan.Range r = ranges.get(i);
            long overlap = Math.min(to, r.end() + 1) - Math.max(from, r.start());
            suspicion[i] += (double) overlap / (to - from);
        }
    }

    synchronized long prefix() {
        return RangeJournal.contiguous(ranges, done);
    }

    /** Bytes [pos, pos+n) of range i arrived and were written; {@code data} holds them (position..limit). */
    void wrote(int i, long pos, ByteBuffer data, int n) {
        synchronized (this) {
            done[i] += n;
            fetched += n;
        }
        if (pos == hashed && hashLock.tryLock()) {
            try {
                if (pos == hashed) {
                    mark();
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
                    catchUp();
                } finally {
                    hashLock.unlock();
                }
                hashing.set(false);
                if (cancelled.getAsBoolean() || prefix() <= hashed || !hashing.compareAndSet(false, true)) return;
            }
        } catch (IOException e) {
            hashing.set(false); // finishHash() reads it again and reports
        }
    }

    /** Hashes from disk whatever contiguous prefix is written but not hashed yet. */
    private void catchUp() throws IOException {
        long upTo = prefix();
        if (upTo <= hashed) return;
        ByteBuffer bb = ByteBuffer.allocate(1 << 20);
        while (hashed < upTo) {
            mark();
            bb.clear();
            // never across a range's start, so that the state there is kept
            bb.limit((int) Math.min(bb.capacity(), Math.min(upTo, nextStart(hashed)) - hashed));
            int n = channel.read(bb, hashed);
            if (n <= 0) throw new EOFException("staging file " + staging + " shorter than recorded");
            md.update(bb.array(), 0, n);
            hashed += n;
        }
    }

    /** Keeps the digest's state when hashing stands at a range's start (under hashLock). */
    private void mark() {
        int i = rangeAt(hashed);
        if (i >= 0 && ranges.get(i).start() == hashed && states[i] == null) states[i] = clone(md);
    }

    private long nextStart(long pos) {
        int i = rangeAt(pos);
        return i < 0 ? file.size() : ranges.get(i).end() + 1;
    }

    /** The range holding byte {@code pos}, or -1. */
    int rangeAt(long pos) {
        int lo = 0;
        int hi = ranges.size() - 1;
        while (lo <= hi) {
            int m = (lo + hi) >>> 1;
            RangePlan.Range r = ranges.get(m);
            if (pos < r.start()) hi = m - 1;
            else if (pos > r.end()) lo = m + 1;
            else return m;
        }
        return -1;
    }

    static MessageDigest clone(MessageDigest md) {
        try {
            return (MessageDigest) md.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
        }
    }

    /** The sha256 of range i's bytes on disk, read from the staging file (and kept). */
    String rangeHash(int i) throws IOException {
        synchronized (this) {
            if (rangeSha[i] != null) return rangeSha[i];
        }
        RangePlan.Range r = ranges.get(i);
        MessageDigest h = Hashes.sha256();
        ByteBuffer bb = ByteBuffer.allocate(1 << 20);
        long p = r.start();
        while (p <= r.end()) {
            bb.clear();
            bb.limit((int) Math.min(bb.capacity(), r.end() - p + 1));
            int n = channel.read(bb, p);
            if (n <= 0) throw new EOFException("staging file " + staging + " shorter than recorded");
            h.update(bb.array(), 0, n);
            p += n;
        }
        String hex = HexFormat.of().formatHex(h.digest());
        synchronized (this) {
            rangeSha[i] = hex;
        }
        return hex;
    }

    /**
     * The whole file's sha256 as the staging file holds it now, hashed from the kept state before range
     * {@code from} onwards (the states after it are taken again). Only after {@link #finishHash}.
     */
    String hashFrom(int from) throws IOException {
        hashLock.lock();
        try {
            MessageDigest d = clone(states[from]);
            ByteBuffer bb = ByteBuffer.allocate(1 << 20);
            for (int i = from; i < ranges.size(); i++) {
                if (i > from) states[i] = clone(d);
                RangePlan.Range r = ranges.get(i);
                long p = r.start();
                while (p <= r.end()) {
                    if (cancelled.getAsBoolean()) throw new IOException("cancelled");
                    bb.clear();
                    bb.limit((int) Math.min(bb.capacity(), r.end() - p + 1));
                    int n = channel.read(bb, p);
                    if (n <= 0) throw new EOFException("staging file " + staging + " shorter than recorded");
                    d.update(bb.array(), 0, n);
                    p += n;
                }
            }
            return HexFormat.of().formatHex(d.digest());
        } finally {
            hashLock.unlock();
        }
    }

    String finishHash() throws IOException {
        hashLock.lock();
        try {
            catchUp();
            return HexFormat.of().formatHex(clone(md).digest());
        } finally {
            hashLock.unlock();
        }
    }

    void saveJournal() {
        // under the monitor, so that placing (which sets placed under it, then deletes the journal) never races a
        // periodic save into leaving a journal beside a finished file
        synchronized (this) {
            if (placed) return;
            try {
                RangeJournal.save(journal, file, ranges, done, rangeSha, verified);
            } catch (IOException e) {
                // the next run re-fetches what the journal does not cover
            }
        }
    }

    synchronized long doneBytes() {
        long had = 0;
        for (long d : done) had += d;
        return had;
    }

    void closeChannel() {
        try {
            if (channel != null) channel.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
