package dev.llamagic.engine.hub;

import dev.llamagic.core.Progress;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Call;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Fetches one byte range of a {@link StagedFile} with a {@code Range} request and writes it at its offset,
 * resuming after what already arrived and retrying with backoff; checks each answer's status and
 * {@code Content-Range} (the hub has been seen answering a range with 200: then the body starts at byte 0).
 */
final class RangeFetcher {
    private static final int BUFFER = 256 * 1024;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

    private final ModelScopeClient client;
    private final int retries;
    private final long minRate;
    private final long windowNanos;
    private final BooleanSupplier cancelled;
    private final Set<Call> calls = ConcurrentHashMap.newKeySet();

    /** {@code minRate} bytes/s over {@code window}: a range slower than that is cut and retried. */
    RangeFetcher(ModelScopeClient client, int retries, long minRate, java.time.Duration window, BooleanSupplier cancelled) {
        this.client = client;
        this.retries = retries;
        this.minRate = minRate;
        this.windowNanos = window.toNanos();
        this.cancelled = cancelled;
    }

    /** Cuts every transfer in flight (after an interrupt or a failure elsewhere). */
    void cancelAll() {
        for (Call c : calls) c.cancel();
    }

    /** Where the bytes of one range go; {@link #reached} says how many of the range it holds (resume point). */
    interface Sink {
        long reached();

        /** Bytes [pos, pos+n) of the range; {@code data} holds them (position..limit). */
        void take(long pos, ByteBuffer data, int n) throws IOException;

        /** One response (finished or cut) delivered bytes [from, to) of the file. */
        default void ended(long from, long to) {}
    }

    /**
     * Fetches what is missing of span k of a file into its staging file: one request from the first byte missing
     * to the end of the ranges after it that hold nothing yet, across their boundaries (each range's bytes go to
     * {@link StagedFile#wrote} on their own), resuming after a cut and retrying with backoff; a range left
     * half-done by an earlier run starts a new request after it.
     */
    void fetchSpan(StagedFile job, int k, Progress bar) throws IOException {
        RangePlan.Span span = job.spans.get(k);
        while (true) {
            int first = span.first();
            while (first <= span.last() && job.complete(first)) first++;
            if (first > span.last()) return;
            int last = first;
            synchronized (job) {
                while (last < span.last() && job.done[last + 1] == 0) last++;
            }
            int a = first;
            int b = last;
            RangePlan.Range run = new RangePlan.Range(job.ranges.get(a).start(), job.ranges.get(b).end());
            fetch(job, run, new Sink() {
                @Override
                public long reached() {
                    synchronized (job) {
                        long got = 0;
                        for (int i = a; i <= b; i++) {
                            got += job.done[i];
                            if (!job.complete(i)) break;
                        }
                        return got;
                    }
                }

                @Override
                public void take(long pos, ByteBuffer buf, int n) throws IOException {
                    int from = buf.position();
                    long at = pos;
                    while (at < pos + n) {
                        int i = job.rangeAt(at);
                        int len = (int) (Math.min(pos + n, job.ranges.get(i).end() + 1) - at);
                        ByteBuffer piece = buf.duplicate();
                        piece.position(from + (int) (at - pos)).limit(from + (int) (at - pos) + len);
                        long w = at;
                        try {
                            while (piece.hasRemaining()) w += job.channel.write(piece, w);
                        } catch (IOException e) {
                            if (cancelled.getAsBoolean()) throw e;
                            // the disk, not the network: no retry helps
                            throw new HubException(0, "cannot write " + job.staging + ": " + e.getMessage());
                        }
                        piece.position(from + (int) (at - pos));
                        job.wrote(i, at, piece, len);
                        at += len;
                    }
                    bar.add(n);
                }

                @Override
                public void ended(long from, long to) {
                    job.responded(from, to);
                }
            }, () -> false, null);
        }
    }

    /**
     * Fetches range {@code r} of a file into {@code sink} from where the sink stands, resuming after a cut
     * (reset, truncated, 5xx, stalled) from the offset reached and retrying with backoff; {@code stop} ends it
     * early (IOException "cancelled"); {@code track} (if not null) holds the calls in flight, to cancel them.
     */
    void fetch(StagedFile job, RangePlan.Range r, Sink sink, BooleanSupplier stop, Set<Call> track) throws IOException {
        int failures = 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        while (true) {
            if (cancelled.getAsBoolean() || stop.getAsBoolean()) throw new IOException("cancelled");
            long from = r.start() + sink.reached();
            if (from > r.end()) return;
            long before = from;
            Call call = client.rangeCall(job.url, from, r.end());
            calls.add(call);
            if (track != null) track.add(call);
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
                long windowStart = System.nanoTime();
                long windowFrom = pos;
                while (pos <= r.end()) {
                    if (cancelled.getAsBoolean() || stop.getAsBoolean()) throw new IOException("cancelled");
                    // fill the whole buffer first (okio hands out 8 KiB segments): one write, one hash step per 256 KiB
                    buf.clear();
                    buf.limit((int) Math.min(buf.capacity(), r.end() - pos + 1));
                    boolean eof = false;
                    IOException cut = null;
                    while (buf.hasRemaining()) {
                        try {
                            if (src.read(buf) < 0) {
                                eof = true;
                                break;
                            }
                        } catch (IOException e) {
                            cut = e; // keep what arrived before the cut: the retry resumes after it
                            break;
                        }
                        if (System.nanoTime() - windowStart >= windowNanos) break; // time to check the rate
                    }
                    int n = buf.position();
                    if (n > 0) {
                        buf.flip();
                        sink.take(pos, buf, n);
                        pos += n;
                    }
                    if (cut != null) throw cut;
                    if (eof) throw new EOFException("connection closed at byte " + pos + " of " + job.file.path());
                    long now = System.nanoTime();
                    if (now - windowStart >= windowNanos) {
                        if ((pos - windowFrom) * 1e9 / (now - windowStart) < minRate) {
                            throw new IOException("too slow: " + (pos - windowFrom) + " bytes in "
                                    + Math.round((now - windowStart) / 1e9) + " s (less than " + minRate + " bytes/s)");
                        }
                        windowStart = now;
                        windowFrom = pos;
                    }
                }
                return;
            } catch (HubException e) {
                throw e;
            } catch (IOException e) {
                if (cancelled.getAsBoolean() || stop.getAsBoolean()) throw e;
                long progress = r.start() + sink.reached() - before;
                if (progress >= (1L << 20)) failures = 0;
                failures++;
                if (failures > retries) {
                    throw new HubException(0, "gave up on " + job.file.path() + " after " + retries
                            + " retries: " + e.getMessage() + " (run it again to resume)");
                }
                backoff(failures, stop);
            } finally {
                calls.remove(call);
                if (track != null) track.remove(call);
                sink.ended(before, r.start() + sink.reached());
            }
        }
    }

    /** Checks the status and range of an answer; returns how many leading body bytes to skip. */
    private long bodyOffset(StagedFile job, Response resp, long from, long end) throws IOException {
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

    private void backoff(int failures, BooleanSupplier stop) throws IOException {
        long ms = Math.min(8000, 250L << Math.min(10, failures - 1));
        long until = System.nanoTime() + ms * 1_000_000L;
        while (System.nanoTime() < until) {
            if (cancelled.getAsBoolean() || stop.getAsBoolean()) throw new IOException("cancelled");
            try {
                Thread.sleep(Math.min(50, ms));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }
}
