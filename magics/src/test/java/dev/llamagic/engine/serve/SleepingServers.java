package dev.llamagic.engine.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Real short-lived processes registered as servers (a {@code sleep} in llama-server's place): for registry tests. */
public final class SleepingServers {
    private SleepingServers() {}

    /** Launches {@code sleep 300} through the lifeline wrapper as server {@code name} on {@code port}, and registers it. */
    public static LlamaServer add(Servers servers, String name, int port, Path logDir) throws IOException {
        Path sleep = Files.isExecutable(Path.of("/bin/sleep")) ? Path.of("/bin/sleep") : Path.of("/usr/bin/sleep");
        ServerSpec spec = ServerSpec.builder(logDir.resolve(name + ".gguf")).name(name).port(port).build();
        LlamaServer s = LlamaServer.launch(name, spec, port, sleep, List.of("300"), Map.of(), logDir.resolve("serve-" + name + ".log"));
        servers.register(s);
        return s;
    }

    /** Whether {@code s}'s process is gone within {@code ms}. */
    public static boolean goneWithin(LlamaServer s, long ms) throws InterruptedException {
        long end = System.currentTimeMillis() + ms;
        while (System.currentTimeMillis() < end) {
            if (!s.process().isAlive()) return true;
            Thread.sleep(50);
        }
        return !s.process().isAlive();
    }
}
