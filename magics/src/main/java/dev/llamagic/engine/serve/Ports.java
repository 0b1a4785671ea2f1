package dev.llamagic.engine.serve;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Free ports, busy ports, and who holds one (read off /proc on Linux). */
public final class Ports {
    private Ports() {}

    /** A port nobody listens on at {@code host} right now. */
    public static int free(String host) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return s.getLocalPort();
        }
    }

    /** Whether {@code host:port} can be bound now. */
    public static boolean isFree(String host, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The process listening on {@code port} (any address), when /proc lets us see it. */
    public record Owner(long pid, String command) {}

    public static Optional<Owner> owner(int port) {
        return owner(port, Path.of("/proc"));
    }

    /** {@link #owner(int)} under another /proc root. */
    public static Optional<Owner> owner(int port, Path proc) {
        Optional<String> inode = Optional.empty();
        for (String table : List.of("net/tcp", "net/tcp6")) {
            inode = listeningInode(proc.resolve(table), port);
            if (inode.isPresent()) break;
        }
        if (inode.isEmpty()) return Optional.empty();
        String target = "socket:[" + inode.get() + "]";
        try (Stream<Path> procs = Files.list(proc)) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                try (Stream<Path> fds = Files.list(p.resolve("fd"))) {
                    for (Path fd : (Iterable<Path>) fds::iterator) {
                        try {
                            if (Files.readSymbolicLink(fd).toString().equals(target)) {
                                String comm = "";
                                try {
                                    comm = Files.readString(p.resolve("comm")).strip();
                                } catch (IOException ignored) {
                                    // gone meanwhile
                                }
                                return Optional.of(new Owner(Long.parseLong(name), comm));
                            }
                        } catch (IOException ignored) {
                            // not ours to read, or gone
                        }
                    }
                } catch (IOException | SecurityException ignored) {
                    // another user's process
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    static Optional<String> listeningInode(Path table, int port) {
        try {
            List<String> lines = Files.readAllLines(table);
            String hexPort = String.format("%04X", port);
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 10) continue;
                String local = f[1];
                if (!local.endsWith(":" + hexPort)) continue;
                if (!f[3].equals("0A")) continue; // LISTEN
                return Optional.of(f[9]);
            }
        } catch (IOException e) {
            // no /proc: not Linux
        }
        return Optional.empty();
    }
}
