package dev.llamagic.engine.hub;

import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Progress;
import dev.llamagic.util.Hashes;
import dev.llamagic.util.Units;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import okhttp3.Call;

/**
 * Repairs a staged file whose sha256 does not match after all its ranges arrived, instead of fetching it again.
 * The hub gives one sha256 per file, so a bad range can only be found by a second opinion: ranges are fetched a
 * second time (a few at once, the most suspect per byte first: those a short response wrote), each copy only
 * hashed and compared with the sha256 of the bytes on disk.
 * Where the two agree the range is good; where they differ a third copy (then more, up to {@link #MAX_COPIES})
 * is fetched into a side file until two copies agree, and the agreeing bytes are written in place. After a
 * replacement the whole file is hashed again from the kept digest state before that range (not from byte 0), and
 * the repair stops as soon as the file matches: no more second copies than needed. Cuts (reset, truncated, 5xx,
 * stalled) resume each copy from the offset reached. The journal marks agreed ranges, so an interrupted repair
 * continues where it stopped; a range being replaced is marked not done until its bytes are all in place.
 *
 * <p>Cost: finding the bad ranges takes second copies of the ranges up to the last bad one in that order, plus one
 * or two copies of each bad range; the hub publishes no per-range hashes that would avoid it. What keeps it rare is
 * upstream: a file is read in a few long requests (see {@link RangePlan.Span}), so a hub that corrupts a share of
 * its responses corrupts few of a file's.
 */
final class RangeRepair {
    /** Copies of one range (the first included) fetched before it is given up. */
    static final int MAX_COPIES = 8;
    /** A whole-file check is worth its reading when the rest is at least this likely to be clean. */
    private static final double CHECK_WORTH = 0.01;
    static final String SIDE = ".repair.llamagic-tmp";

    /** What a finished repair did: ranges whose bytes were replaced, bytes fetched, ranges fetched again. */
    record Outcome(int replaced, long fetched, int checked) {}

    private record Task(int range, int copy) {}

    private record Copy(int range, int copy, String first, String sha, long bytes, Path side) {}

    private final StagedFile job;
    private final RangeFetcher fetcher;
    private final int parallel;
    private final long budget;
    private final BooleanSupplier stopRequested;
    private final Progress bar;
    private final AtomicBoolean over = new AtomicBoolean();
    /** Bytes received for the repair, those of copies cut short included. */
    private final java.util.concurrent.atomic.AtomicLong received = new java.util.concurrent.atomic.AtomicLong();
    private final Set<Call> calls = ConcurrentHashMap.newKeySet();

    RangeRepair(StagedFile job, RangeFetcher fetcher, int parallel, Progress bar, BooleanSupplier stopRequested) {
        this.job = job;
        this.fetcher = fetcher;
        this.parallel = Math.max(1, parallel);
        long largest = 0;
        for (RangePlan.Range r : job.ranges) largest = Math.max(largest, r.length());
        this.budget = Math.max(2 * job.file.size(), (MAX_COPIES - 1) * largest);
        this.bar = bar;
        this.stopRequested = stopRequested;
    }

    /** Repairs until the staging file's sha256 is {@code want}; one-line HubException when it cannot. */
    Outcome run(String want) throws IOException {
        int n = job.ranges.size();
        ArrayDeque<Integer> pending = new ArrayDeque<>(order(job));
        ArrayDeque<Task> urgent = new ArrayDeque<>();
        Map<Integer, List<String>> copies = new HashMap<>();
        List<Integer> never = new ArrayList<>();
        int settled = n - pending.size();
        int checked = 0;
        int replaced = 0;
        int inFlight = 0;
        int lowestChanged = n;
        ExecutorService pool = Executors.newFixedThreadPool(parallel, SnapshotDownloader.daemon("llamagic-repair"));
        ExecutorCompletionService<Copy> results = new ExecutorCompletionService<>(pool);
        List<Path> sides = new ArrayList<>();
        progress(settled, replaced);
        try {
            while (true) {
                if (stopRequested.getAsBoolean()) throw new Interrupted();
                while (inFlight < parallel && (!urgent.isEmpty() || !pending.isEmpty())
                        && received.get() < budget) {
                    Task t = urgent.isEmpty() ? new Task(pending.poll(), 2) : urgent.poll();
                    Path side = t.copy() >= 3 ? job.staging.resolveSibling(job.staging.getFileName() + "." + t.range() + SIDE) : null;
                    if (side != null) sides.add(side);
                    results.submit(() -> fetchCopy(t, side));
                    inFlight++;
                    if (t.copy() == 2) checked++;
                }
                if (inFlight == 0) break;
                Future<Copy> f = results.poll(100, TimeUnit.MILLISECONDS);
                if (f == null) continue;
                inFlight--;
                Copy c = get(f);
                List<String> seen = copies.computeIfAbsent(c.range(), k -> new ArrayList<>());
                if (c.copy() == 2) seen.add(c.first());
                int agrees = seen.indexOf(c.sha());
                seen.add(c.sha());
                if (agrees == 0) {
                    settle(c.range(), c.sha());
                    settled++;
                } else if (agrees > 0) {
                    // two copies other than the first agree: their bytes replace the first's
                    replace(c.range(), c.side(), c.sha());
                    replaced++;
                    settled++;
                    lowestChanged = Math.min(lowestChanged, c.range());
                } else if (c.copy() < MAX_COPIES) {
                    urgent.add(new Task(c.range(), c.copy() + 1));
                } else {
                    never.add(c.range());
                    settled++;
                }
                if (c.side() != null) Files.deleteIfExists(c.side());
                progress(settled, replaced);
                // a replacement not checked yet: check once the rest looks clean enough (more so as ranges agree)
                if (lowestChanged < n && worthChecking(replaced, settled, n - settled)) {
                    String got = job.hashFrom(lowestChanged);
                    lowestChanged = n;
                    if (got.equals(want)) return new Outcome(replaced, received.get(), checked);
                }
            }
            if (lowestChanged < n && job.hashFrom(lowestChanged).equals(want)) return new Outcome(replaced, received.get(), checked);
            String what = "sha256 mismatch for " + job.file.path() + " that repair could not fix: ";
            if (!never.isEmpty() || !pending.isEmpty() || !urgent.isEmpty()) {
                int unchecked = pending.size() + urgent.size();
                throw new HubException(0, what + never.size() + " of " + n + " ranges never agreed in " + MAX_COPIES
                        + " copies" + (unchecked > 0 ? " and " + unchecked + " were left unchecked after "
                        + Units.bytes(received.get()) + " fetched" : "") + " (run it again to continue)");
            }
            // every range agreed with a second copy: the hub serves other bytes than the sha256 it lists
            synchronized (job) {
                job.placed = true; // nothing to resume: no journal may be written any more
            }
            Files.deleteIfExists(job.journal);
            Files.deleteIfExists(job.staging);
            throw new HubException(0, what + "all " + n + " ranges agreed with a second copy, so the hub serves other"
                    + " bytes than the sha256 it lists (expected " + want + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Interrupted();
        } finally {
            over.set(true);
            for (Call c : calls) c.cancel();
            pool.shutdown(); // not shutdownNow: an interrupt would close the staging file's channel mid-read
            try {
                pool.awaitTermination(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Path p : sides) Files.deleteIfExists(p);
            synchronized (job) {
                job.fetched += received.get();
            }
        }
    }

    /**
     * The ranges not agreed yet, the most suspect per byte first (see {@link StagedFile#suspicion}): a short
     * response is as likely to have been corrupted as a long one, and checking the ranges it wrote costs less.
     * Equally suspect ranges keep the file's order.
     */
    static List<Integer> order(StagedFile job) {
        List<Integer> out = new ArrayList<>();
        double[] density = new double[job.ranges.size()];
        synchronized (job) {
            for (int i = 0; i < density.length; i++) {
                if (job.verified[i]) continue;
                out.add(i);
                density[i] = job.suspicion[i] / job.ranges.get(i).length();
            }
        }
        out.sort(java.util.Comparator.comparingDouble((Integer i) -> -density[i]));
        return out;
    }

    /**
     * Whether hashing the file again (locally, from the replaced range on) is worth it now: the chance that no
     * unsettled range is bad is not negligible (or nothing is left to settle). The rate of bad ranges is estimated
     * from those settled, starting from a prior of 1 in 20 worth of 20 ranges, so that one early bad range does
     * not make the rest look hopeless.
     */
    static boolean worthChecking(int bad, int settled, int left) {
        if (left <= 0) return true;
        double rate = (bad + 1.0) / (settled + 20.0);
        return Math.pow(1 - rate, left) >= CHECK_WORTH;
    }

    private void progress(int settled, int replaced) {
        bar.detail("repairing " + job.file.path() + ": " + settled + "/" + job.ranges.size() + " ranges checked"
                + (replaced > 0 ? ", " + replaced + " replaced" : ""));
    }

    private Copy get(Future<Copy> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (stopRequested.getAsBoolean()) throw new Interrupted();
            if (t instanceof IOException io) throw io;
            if (t instanceof RuntimeException re) throw re;
            throw new HubException(0, job.file.path() + ": " + t);
        }
    }

    /** On a repair thread: one more copy of a range, hashed (and from the third copy on, kept in a side file). */
    private Copy fetchCopy(Task t, Path side) throws IOException {
        RangePlan.Range r = job.ranges.get(t.range());
        String first = t.copy() == 2 ? job.rangeHash(t.range()) : null;
        MessageDigest h = Hashes.sha256();
        long[] got = {0};
        try (FileChannel out = side == null ? null : FileChannel.open(side, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            // each copy asks for the range in two requests cut at its own point: a hub or proxy that corrupts a
            // request's body the same way each time it is asked (say, in its middle) cannot make two copies agree
            long cut = r.length() / (t.copy() + 1);
            List<RangePlan.Range> pieces = cut < 1 ? List.of(r)
                    : List.of(new RangePlan.Range(r.start(), r.start() + cut - 1), new RangePlan.Range(r.start() + cut, r.end()));
            for (RangePlan.Range p : pieces) {
                long before = p.start() - r.start();
                fetcher.fetch(job, p, new RangeFetcher.Sink() {
                    @Override
                    public long reached() {
                        return got[0] - before;
                    }

                    @Override
                    public void take(long pos, ByteBuffer data, int k) throws IOException {
                        if (out != null) {
                            ByteBuffer d = data.duplicate();
                            long at = pos - r.start();
                            while (d.hasRemaining()) at += out.write(d, at);
                        }
                        h.update(data);
                        got[0] += k;
                        received.addAndGet(k);
                    }
                }, () -> over.get() || stopRequested.getAsBoolean(), calls);
            }
        }
        return new Copy(t.range(), t.copy(), first, HexFormat.of().formatHex(h.digest()), got[0], side);
    }

    private void settle(int i, String sha) {
        synchronized (job) {
            job.rangeSha[i] = sha;
            job.verified[i] = true;
        }
    }

    /** Writes the agreeing copy over range i; the journal calls the range not done until all of it is in place. */
    private void replace(int i, Path side, String sha) throws IOException {
        RangePlan.Range r = job.ranges.get(i);
        synchronized (job) {
            job.done[i] = 0;
            job.rangeSha[i] = null;
            job.verified[i] = false;
        }
        job.saveJournal();
        try (FileChannel in = FileChannel.open(side, StandardOpenOption.READ)) {
            ByteBuffer bb = ByteBuffer.allocate(1 << 20);
            long at = 0;
            while (at < r.length()) {
                bb.clear();
                bb.limit((int) Math.min(bb.capacity(), r.length() - at));
                int k = in.read(bb, at);
                if (k <= 0) throw new IOException("the side copy of range " + i + " is short");
                bb.flip();
                long to = r.start() + at;
                while (bb.hasRemaining()) to += job.channel.write(bb, to);
                at += k;
            }
        } catch (IOException e) {
            if (stopRequested.getAsBoolean()) throw new Interrupted();
            throw new HubException(0, "cannot write " + job.staging + ": " + e.getMessage());
        }
        synchronized (job) {
            job.done[i] = r.length();
            job.rangeSha[i] = sha;
            job.verified[i] = true;
            job.repaired++;
        }
        job.saveJournal();
    }
}
