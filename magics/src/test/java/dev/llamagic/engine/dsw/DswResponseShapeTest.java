package dev.llamagic.engine.dsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.aliyun.AliyunCredentials;
import dev.llamagic.engine.aliyun.AliyunCredentialsUriTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Answers of another shape from a DSW endpoint on 127.0.0.1 (status 200, JSON that is not what the API sends):
 * each call is refused in one line naming the operation, never mapped to a record of nulls.
 */
class DswResponseShapeTest {
    HttpServer server;
    volatile String answer = "{}";
    DswClient dsw;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] b = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.getResponseHeaders().add("x-acs-request-id", "5E2B-REQ-42");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        Map<String, String> env = new HashMap<>(AliyunCredentialsUriTest.NOTHING);
        env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIexample");
        env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cr3t-value");
        DswSettings settings = new DswSettings("dsw-1", "cn-hangzhou", null,
                "127.0.0.1:" + server.getAddress().getPort(), "HTTP");
        dsw = DswClient.connect(settings, AliyunCredentials.find(env, null));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    UserError refused(String json, Function<DswClient, Object> op) {
        answer = json;
        UserError e = assertThrows(UserError.class, () -> op.apply(dsw), json);
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected response shape"), json + " → " + e.getMessage());
        return e;
    }

    @Test
    void getInstanceOfAnotherShapeIsOneLineNotATableOfNulls() {
        for (String json : List.of("{}", "{\"foo\":1}", "[]", "[{\"InstanceId\":\"dsw-1\"}]", "\"text\"",
                "{\"InstanceId\":{\"a\":1},\"Status\":\"Running\"}", "{\"InstanceId\":\"dsw-1\",\"Status\":[1]}")) {
            refused(json, DswClient::instance);
        }
        UserError e = refused("{\"RequestId\":\"ABC-1\",\"InstanceId\":\"dsw-1\"}", DswClient::instance);
        assertEquals("the DSW API answered GetInstance without Status: unexpected response shape; request id ABC-1",
                e.getMessage());
        assertEquals("the DSW API answered GetInstance without InstanceId/Status: unexpected response shape;"
                + " request id 5E2B-REQ-42", refused("{}", DswClient::instance).getMessage());
        answer = "{\"InstanceId\":\"dsw-1\",\"Status\":\"Running\"}";
        assertEquals("Running", dsw.instance().status());
    }

    @Test
    void listsOfAnotherShapeAreOneLine() {
        for (String json : List.of("{}", "{\"foo\":1}", "[]", "{\"Instances\":{}}", "{\"Instances\":[1,2]}",
                "{\"Instances\":[{\"Status\":\"Running\"}]}")) {
            refused(json, DswClient::instances);
        }
        for (String json : List.of("{}", "{\"Snapshots\":\"x\"}", "{\"Snapshots\":[{}]}", "[[]]")) {
            refused(json, DswClient::snapshots);
        }
        answer = "{\"Instances\":[],\"TotalCount\":0}";
        assertEquals(0, dsw.instances().size());
        answer = "{\"Snapshots\":[{\"SnapshotId\":\"snp-1\",\"Status\":\"Saved\"}],\"TotalCount\":1}";
        assertEquals("snp-1", dsw.snapshots().get(0).id());
    }

    @Test
    void snapshotAndTimerOfAnotherShapeAreOneLine() {
        for (String json : List.of("{}", "{\"foo\":1}", "[]", "{\"SnapshotId\":\"snp-1\"}")) {
            refused(json, c -> c.snapshot("snp-1"));
        }
        for (String json : List.of("{}", "{\"foo\":1}", "[]", "{\"DueTime\":{}}")) {
            refused(json, DswClient::timer);
        }
        answer = "{\"InstanceId\":\"dsw-1\",\"DueTime\":\"2026-12-01T23:00:00Z\",\"RemainingTimeInMs\":60000}";
        assertNotNull(dsw.timer());
    }

    static final List<String> KEYS = List.of("InstanceId", "Status", "Instances", "Snapshots", "SnapshotId",
            "DueTime", "RemainingTimeInMs", "TotalCount", "RequestId", "RequestedResource", "InstanceShutdownTimer",
            "LatestSnapshot", "ExcludePaths", "GPU", "Memory", "ImageUrl", "AccumulatedRunningTimeInMs");

    static Object value(Random r, int depth) {
        return switch (depth > 2 ? r.nextInt(6) : r.nextInt(9)) {
            case 0 -> null;
            case 1 -> r.nextInt(3) == 0 ? "null" : "x" + r.nextInt(100);
            case 2 -> r.nextBoolean() ? r.nextLong() : r.nextDouble() * Math.pow(10, r.nextInt(30));
            case 3 -> r.nextBoolean();
            case 4 -> "";
            case 5 -> r.nextBoolean() ? Double.NaN : 1e300;
            case 6, 7 -> object(r, depth + 1);
            default -> List.of(object(r, depth + 1), value(r, depth + 1) == null ? 1 : 2);
        };
    }

    static Map<String, Object> object(Random r, int depth) {
        Map<String, Object> m = new HashMap<>();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) m.put(KEYS.get(r.nextInt(KEYS.size())), value(r, depth));
        return m;
    }

    /** The mapping from random bodies (as the SDK's JSON reader gives them): a record, or one line; nothing else. */
    @Test
    void randomBodiesMapToRecordsOrOneLine() {
        Random r = new Random(20261203);
        long deadline = System.nanoTime() + 15_000_000_000L;
        for (int i = 0; i < 5000 && System.nanoTime() < deadline; i++) {
            Map<String, Object> body = object(r, 0);
            try {
                switch (i % 5) {
                    case 0 -> {
                        DswInstance d = DswInstance.from(Fields.require("GetInstance", body, "InstanceId", "Status"));
                        assertNotNull(d.id());
                        assertNotNull(d.gpus());
                        assertNotNull(d.resources());
                        if (d.timer() != null) assertNotNull(d.timer().describe());
                        if (d.latestSnapshot() != null) assertNotNull(d.latestSnapshot().describe());
                    }
                    case 1 -> Fields.requireList("ListInstances", body, "Instances", "InstanceId")
                            .forEach(m -> assertNotNull(DswInstance.from(m).id()));
                    case 2 -> {
                        DswSnapshot s = DswSnapshot.from(Fields.require("GetInstanceSnapshot", body, "SnapshotId", "Status"));
                        assertNotNull(s.why());
                        s.finished();
                    }
                    case 3 -> Fields.requireList("ListInstanceSnapshot", body, "Snapshots", "SnapshotId")
                            .forEach(m -> assertNotNull(DswSnapshot.from(m).id()));
                    default -> {
                        DswTimer t = DswTimer.from(body);
                        if (t != null) assertNotNull(t.describe());
                    }
                }
            } catch (UserError e) {
                assertEquals(1, e.getMessage().lines().count(), "case " + i + ": " + e.getMessage());
            } catch (Throwable t) {
                fail("case " + i + " " + body + " escaped as " + t, t);
            }
        }
    }
}
