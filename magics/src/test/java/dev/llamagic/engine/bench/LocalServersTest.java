package dev.llamagic.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.engine.gpu.ProcessNames;
import java.net.InetAddress;
import java.util.Map;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LocalServersTest {
    @Test
    void findsTheProcessListeningOnALoopbackPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            OptionalLong pid = LocalServers.pidOf("http://127.0.0.1:" + s.getLocalPort(), Path.of("/proc"));
            assertEquals(OptionalLong.of(ProcessHandle.current().pid()), pid);
        }
        assertTrue(LocalServers.pidOf("http://example.com:80", Path.of("/proc")).isEmpty(), "not this machine");
    }

    @Test
    void relativeModelPathsResolveAgainstTheServersDirectory() {
        long me = ProcessHandle.current().pid();
        Path cwd = Path.of("").toAbsolutePath();
        assertEquals(cwd.resolve("m.gguf"), LocalServers.resolve("m.gguf", me, Path.of("/proc")));
        assertEquals(Path.of("/abs/m.gguf"), LocalServers.resolve("/abs/m.gguf", me, Path.of("/proc")));
        assertEquals(Path.of("m.gguf"), LocalServers.resolve("m.gguf", null, Path.of("/proc")));
    }

    @Test
    void processNamesFromAListing() {
        ProcessNames n = ProcessNames.of(() -> Map.of(ProcessHandle.current().pid(), "me"));
        assertEquals("me", n.nameOf(ProcessHandle.current().pid()));
        assertEquals(null, n.nameOf(1));
        assertEquals(null, ProcessNames.NONE.nameOfTree(ProcessHandle.current().pid()));
    }
}
