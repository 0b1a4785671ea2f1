package dev.llamagic.report;

import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Which local process listens on a loopback URL's port, read off Linux's /proc (no external tools): lets
 * {@code %bench --url} find a hand-started llama-server's working directory, so a relative {@code -m} path in
 * {@code /props}' {@code model_path} still leads to the model file.
 */
final class LocalServers {
    private LocalServers() {}

    /** The pid listening on {@code url}'s port when the host is this machine; empty otherwise or when not visible. */
    static OptionalLong pidOf(String url, Path proc) {
        try {
            URI u = URI.create(url);
            String host = u.getHost() == null ? "" : u.getHost().toLowerCase(Locale.ROOT);
            if (!List.of("127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0").contains(host)) return OptionalLong.empty();
            int port = u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
            Set<String> inodes = new HashSet<>();
            for (String table : new String[] {"net/tcp", "net/tcp6"}) {
                Path f = proc.resolve(table);
                if (!Files.isReadable(f)) continue;
                for (String line : Files.readAllLines(f)) {
                    String[] c = line.trim().split("\\s+");
                    // sl local_address rem_address st ... inode (column 9); st 0A = LISTEN
                    if (c.length < 10 || !c[1].contains(":") || !"0A".equals(c[3])) continue;
                    int p = Integer.parseInt(c[1].substring(c[1].indexOf(':') + 1), 16);
                    if (p == port) inodes.add("socket:[" + c[9] + "]");
                }
            }
            if (inodes.isEmpty()) return OptionalLong.empty();
            try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, "[0-9]*")) {
                for (Path pd : pids) {
                    try (DirectoryStream<Path> fds = Files.newDirectoryStream(pd.resolve("fd"))) {
                        for (Path fd : fds) {
                            try {
                                if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                                    return OptionalLong.of(Long.parseLong(pd.getFileName().toString()));
                                }
                            } catch (IOException ignored) {
                                // closed meanwhile
                            }
                        }
                    } catch (IOException | SecurityException ignored) {
                        // not ours to read, or gone
                    }
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux, or /proc unreadable: unknown
        }
        return OptionalLong.empty();
    }

    /** {@code modelPath} as the process with {@code pid} sees it: relative paths against its working directory. */
    static Path resolve(String modelPath, Long pid, Path proc) {
        Path p = Path.of(modelPath);
        if (p.isAbsolute() || pid == null) return p;
        try {
            return proc.resolve(Long.toString(pid)).resolve("cwd").toRealPath().resolve(p);
        } catch (IOException e) {
            return p;
        }
    }
}
