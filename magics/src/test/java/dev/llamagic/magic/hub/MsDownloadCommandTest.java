package dev.llamagic.magic.hub;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import dev.llamagic.magic.Commands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MsDownloadCommandTest {
    @TempDir
    Path home;

    @Test
    void anUnreachableHubIsOneLineWithTheNextStep() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Context ctx = new Context(new RecordingNotebook(), Map.of("LLAMAGIC_HOME", home.toString()), "JJava test", null);
        UserError e = assertThrows(UserError.class, () -> Commands.run(Commands.find("ms-download"),
                List.of("a/b", "--endpoint", "http://127.0.0.1:" + port, "--local-dir", home.resolve("m").toString()), null, ctx));
        assertEquals("%ms-download: cannot reach the hub at http://127.0.0.1:" + port + "/: connection refused (nothing listens"
                + " there, or a firewall says no); check the network, or point --endpoint (or MODELSCOPE_ENDPOINT) at a hub"
                + " this machine reaches; a model already on disk needs no hub: give its directory to %to-gguf or %serve",
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
