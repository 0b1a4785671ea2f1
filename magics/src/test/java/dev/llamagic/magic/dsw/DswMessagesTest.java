package dev.llamagic.magic.dsw;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import dev.llamagic.magic.Commands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The DSW engine's errors name no flag; the magic adds which of its options fix them (same lines as before). */
class DswMessagesTest {
    @TempDir
    Path home;

    private String fails(Map<String, String> env, String... args) {
        Map<String, String> e = new HashMap<>(env);
        e.put("LLAMAGIC_HOME", home.toString());
        e.put("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true");
        Context ctx = new Context(new RecordingNotebook(), e, "JJava test", null);
        return assertThrows(UserError.class, () -> Commands.run(Commands.find("dsw"), List.of(args), null, ctx)).getMessage();
    }

    @Test
    void outsideAnInstanceTheMagicSaysWhichOptionsToPass() {
        assertEquals("%dsw info: not inside a PAI-DSW instance (neither DSW_INSTANCE_ID nor REGION is set): pass --region"
                + " (and --instance dsw-...) and provide Alibaba Cloud credentials", fails(Map.of(), "info"));
    }

    @Test
    void anEndpointNobodyListensOnNamesRegionAndEndpoint() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String line = fails(Map.of("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAItest", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret",
                "DSW_INSTANCE_ID", "dsw-test", "REGION", "cn-hangzhou", "LLAMAGIC_DSW_ENDPOINT", "127.0.0.1:" + port,
                "LLAMAGIC_DSW_PROTOCOL", "http"), "info");
        assertEquals("%dsw info: cannot connect to 127.0.0.1:" + port + ": no network to Alibaba Cloud here, or a wrong"
                + " --region / --endpoint", line);
    }
}
