package dev.llamagic.engine.aliyun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.llamagic.core.UserError;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The credentials URI source (how PAI-DSW hands an instance its RAM role), against servers on 127.0.0.1. */
public class AliyunCredentialsUriTest {

    /** An environment in which no source of the chain applies (no metadata service, no CLI profile, no file). */
    public static final Map<String, String> NOTHING = Map.of(
            "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true",
            "ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true",
            "ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/llamagic-test/credentials");

    static Map<String, String> env(String uri) {
        Map<String, String> env = new HashMap<>(NOTHING);
        env.put("ALIBABA_CLOUD_CREDENTIALS_URI", uri);
        return env;
    }

    static HttpServer serve(String json) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void stsCredentialsFromTheUri() throws Exception {
        HttpServer s = serve("{\"Code\":\"Success\",\"AccessKeyId\":\"STS.id\",\"AccessKeySecret\":\"sts-secret\","
                + "\"SecurityToken\":\"tok\",\"Expiration\":\"2099-01-01T00:00:00Z\"}");
        try {
            AliyunCredentials c = AliyunCredentials.find(env("http://127.0.0.1:" + s.getAddress().getPort() + "/cred"),
                    null);
            assertEquals("ALIBABA_CLOUD_CREDENTIALS_URI", c.source());
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aFailedAnswerIsReportedWithoutEchoingIt() throws Exception {
        HttpServer s = serve("{\"Code\":\"Failed\",\"AccessKeySecret\":\"leak-me\"}");
        try {
            UserError e = assertThrows(UserError.class, () -> AliyunCredentials.find(
                    env("http://127.0.0.1:" + s.getAddress().getPort() + "/cred"), null));
            assertTrue(e.getMessage().contains("ALIBABA_CLOUD_CREDENTIALS_URI: "), e.getMessage());
            assertFalse(e.getMessage().contains("leak-me"), e.getMessage());
        } finally {
            s.stop(0);
        }
    }

    @Test
    void aUriThatNeverAnswersIsBoundedByTheReadTimeout() throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread accept = new Thread(() -> {
                try {
                    while (true) held.add(silent.accept()); // accepts, never answers
                } catch (Exception ignored) {
                    // closed
                }
            });
            accept.setDaemon(true);
            accept.start();
            AliyunCredentials.NoCredentials e = assertThrows(AliyunCredentials.NoCredentials.class, () -> AliyunCredentials.find(
                    env("http://127.0.0.1:" + silent.getLocalPort() + "/cred"), null));
            assertTrue(e.getMessage().startsWith("no Alibaba Cloud credentials found"), e.getMessage());
            assertTrue(e.tried().stream().anyMatch(t -> t.startsWith("ALIBABA_CLOUD_CREDENTIALS_URI: ")), e.tried().toString());
        } finally {
            for (Socket s : held) s.close();
        }
    }
}
