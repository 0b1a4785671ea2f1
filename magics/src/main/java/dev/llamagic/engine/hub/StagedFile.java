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
    final long[] done;
    final ReentrantLock hashLock = new ReentrantLock();
    private final AtomicBoolean hashing = new AtomicBoolean();
    private final BooleanSupplier cancelled;
    /** Where hashing from disk runs; set before the first range is fetched. */
    Executor hashers;
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
    /** Verified and being moved into place: no journal may be written any more (guarded by the monitor). */
    boolean placed;

    StagedFile(RepoFile file, HttpUrl url, Path staging, Path target, long rangeSize, BooleanSupplier cancelled) {
        this.file = file;
        this.url = url;
        this.staging = staging;
        this.journal = RangeJournal.of(staging);
        this.target = target;
        this.ranges = RangePlan.plan(file.size(), rangeSize);
        this.done = new long[ranges.size()];
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
        channel = FileChannel.open(staging, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (startOver) channel.truncate(0);
        if (channel.size() > file.size()) channel.truncate(file.size());
        resumed = 0;
        for (long d : done) resumed += d;
        finished = 0;
        for (int i = 0; i < ranges.size(); i++) if (done[i] >= ranges.get(i).length()) finished++;
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
            catchUp();
            return HexFormat.of().formatHex(md.digest());
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
                RangeJournal.save(journal, file, ranges, done);
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

    /** Throws away the staging bytes after a sha256 mismatch; the ranges are fetched again. */
    void reset() throws IOException {
        hashLock.lock();
        try {
            synchronized (this) {
                Arrays.fill(done, 0);
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
