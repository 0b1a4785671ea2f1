package dev.llamagic.engine.hub;

import dev.llamagic.core.Interrupted;
import dev.llamagic.core.Progress;
import dev.llamagic.util.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Verifies files already on disk whose content is unknown (the right size, no current record): hashed once, in
 * parallel, the interrupt polled every 100 ms. A match is recorded; a mismatch is left for a fresh download.
 */
final class ExistingFiles {
    private ExistingFiles() {}

    /** The outcome: files whose sha256 matched (now recorded) and files to fetch again. */
    record Checked(List<RepoFile> good, List<RepoFile> wrong) {}

    static Checked verify(List<RepoFile> toHash, Layout layout, VerifiedRecord record, Progress bar,
                          BooleanSupplier stopRequested) throws IOException {
        List<RepoFile> good = new ArrayList<>();
        List<RepoFile> wrong = new ArrayList<>();
        int threads = Math.max(1, Math.min(toHash.size(), Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, SnapshotDownloader.daemon("llamagic-verify"));
        List<Future<String>> hashes = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        for (RepoFile f : toHash) hashes.add(pool.submit(() -> sha256(layout.target(f.path()), bar, stop::get)));
        pool.shutdown();
        try {
            for (int i = 0; i < toHash.size(); i++) {
                RepoFile f = toHash.get(i);
                String got;
                while (true) {
                    if (stopRequested.getAsBoolean()) throw stopped(pool, stop, bar);
                    try {
                        got = hashes.get(i).get(100, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        // poll the interrupt again
                    } catch (InterruptedException e) {
                        throw stopped(pool, stop, bar);
                    } catch (ExecutionException e) {
                        throw new IOException("cannot read " + layout.target(f.path()) + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
                if (f.sha256() == null || f.sha256().equals(got)) {
                    record.put(f.path(), layout.target(f.path()), got);
                    good.add(f);
                } else {
                    record.remove(f.path());
                    wrong.add(f); // replaced by a fresh download (the old file stays until then)
                }
            }
            bar.finish(toHash.size() + " checked");
            return new Checked(good, wrong);
        } finally {
            pool.shutdownNow();
            bar.close();
        }
    }

    private static Interrupted stopped(ExecutorService pool, java.util.concurrent.atomic.AtomicBoolean stop, Progress bar) {
        stop.set(true);
        pool.shutdownNow();
        bar.fail("interrupted");
        return new Interrupted();
    }

    /** The sha256 of a file as lowercase hex, counting its bytes on {@code bar}; stops when {@code stop} says so. */
    static String sha256(Path p, Progress bar, BooleanSupplier stop) throws IOException {
        MessageDigest md = Hashes.sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(p)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (stop.getAsBoolean()) throw new IOException("cancelled");
                md.update(buf, 0, n);
                if (bar != null) bar.add(n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
