package dev.llamagic.engine.bench;

import dev.llamagic.engine.serve.Ports;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

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
            return Ports.owner(port, proc).map(o -> OptionalLong.of(o.pid())).orElse(OptionalLong.empty());
        } catch (RuntimeException ignored) {
            // a malformed URL: unknown
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
