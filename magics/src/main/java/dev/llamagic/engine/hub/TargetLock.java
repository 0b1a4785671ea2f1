package dev.llamagic.engine.hub;

import dev.llamagic.core.Version;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One download at a time into a target directory: an OS file lock on {@code <dir>/.llamagic-lock}, which says
 * who holds it (pid, host, since when). A second run, in this process or another, fails at once with one line
 * naming the holder. The lock goes with the process, so a killed run never leaves the directory locked; the
 * small file itself stays (deleting it would let two runs lock two different files).
 */
final class TargetLock implements AutoCloseable {
    static final String FILE = ".llamagic-lock";

    private final FileChannel channel;
    private final FileLock lock;

    private TargetLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static TargetLock acquire(Path root) throws IOException {
        Files.createDirectories(root);
        Path f = root.resolve(FILE);
        FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by this process
        } catch (IOException e) {
            // a file system without locks (some FUSE mounts of object storage): download unguarded, as before
            ch.close();
            return new TargetLock(null, null);
        }
        if (l == null) {
            String holder = holder(ch);
            ch.close();
            throw new HubException(0, "another download into " + root + " is running" + (holder.isEmpty() ? "" : " (" + holder + ")")
                    + "; wait for it to finish or stop it, then run this again");
        }
        String me = "pid " + ProcessHandle.current().pid() + " on " + host() + " since " + Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                + " (llamagic " + Version.llamagic() + ")";
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(me.getBytes(StandardCharsets.UTF_8)), 0);
        return new TargetLock(ch, l);
    }

    private static String holder(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(512);
            int n = ch.read(b, 0);
            return n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8).strip().replaceAll("\\p{Cntrl}", " ");
        } catch (IOException e) {
            return "";
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    @Override
    public void close() {
        if (channel == null) return;
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it too
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
