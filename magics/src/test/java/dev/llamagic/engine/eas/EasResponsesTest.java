package dev.llamagic.engine.eas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.UserError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reading the EAS API's answers: documented shapes, missing and odd fields, and error answers as one line. */
class EasResponsesTest {

    static Map<String, Object> service() {
        Map<String, Object> m = new HashMap<>();
        m.put("ServiceName", "qwen3_q4");
        m.put("ServiceId", "eas-m-abc");
        m.put("Status", "Running");
        m.put("Reason", "RUNNING");
        m.put("Message", "Service is now running");
        m.put("RunningInstance", 2);
        m.put("TotalInstance", 2);
        m.put("PendingInstance", 0);
        m.put("InternetEndpoint", "http://123.cn-hangzhou.pai-eas.aliyuncs.com/api/predict/qwen3_q4");
        m.put("IntranetEndpoint", "http://123.vpc.cn-hangzhou.pai-eas.aliyuncs.com/api/predict/qwen3_q4");
        m.put("AccessToken", "tok-secret");
        m.put("Gpu", 1);
        m.put("Cpu", 8);
        m.put("Memory", 30000);
        m.put("CreateTime", "2026-12-03T08:00:00Z");
        return m;
    }

    @Test
    void theDocumentedShape() {
        EasService s = EasService.from(service());
        assertEquals("qwen3_q4", s.name());
        assertTrue(s.running());
        assertEquals("2/2", s.instances());
        assertEquals("RUNNING: Service is now running", s.why());
        assertFalse(s.toString().contains("tok-secret"), "the token is not part of the record");
        assertEquals(30000, s.memoryMb());
    }

    @Test
    void missingAndOddFieldsBecomeNullsNotCrashes() {
        Map<String, Object> m = new HashMap<>();
        m.put("ServiceName", "x");
        m.put("RunningInstance", "3");        // a number as a string
        m.put("TotalInstance", "many");       // not a number
        m.put("PendingInstance", -1);         // negative
        m.put("Status", List.of("Running"));  // a list where a string belongs
        m.put("Reason", "null");
        m.put("Message", "   ");
        m.put("Gpu", 1e300);
        EasService s = EasService.from(m);
        assertEquals(3, s.runningInstance());
        assertNull(s.totalInstance());
        assertNull(s.pendingInstance());
        assertNull(s.status());
        assertEquals("", s.why());
        assertNull(s.gpu());
        assertEquals("3/?", s.instances());
        assertFalse(s.running());
        assertEquals("", EasService.from(Map.of()).instances());
    }

    @Test
    void fuzzedAnswersNeverThrowAnythingButOneLine() {
        Random r = new Random(42);
        Object[] values = {null, "", "null", 1, -5, 2.5, Double.NaN, "Running", "Failed", List.of(), List.of(1, "a"),
                Map.of(), Map.of("a", 1), true, "x".repeat(500)};
        String[] keys = {"ServiceName", "Status", "Reason", "Message", "RunningInstance", "TotalInstance",
                "InternetEndpoint", "AccessToken", "Services", "Logs", "TotalCount", "RequestId", "Code"};
        for (int i = 0; i < 2000; i++) {
            Map<String, Object> m = new HashMap<>();
            for (String k : keys) if (r.nextBoolean()) m.put(k, values[r.nextInt(values.length)]);
            EasService s = EasService.from(m);
            s.instances();
            s.why();
            s.failed();
            Json.strings(m, "Logs");
            try {
                Json.requireList("ListServices", m, "Services", "ServiceName");
            } catch (UserError e) {
                assertEquals(1, e.getMessage().lines().count());
                assertTrue(e.getMessage().startsWith("the EAS API answered ListServices with"), e.getMessage());
            }
            EasApiError err = EasApiError.from("DescribeService", r.nextBoolean() ? null : 400, null, m);
            assertEquals(1, err.describe("service x", "cn-hangzhou", "env").lines().count());
        }
    }

    @Test
    void listsOfServicesAndLogs() {
        Map<String, Object> body = new HashMap<>();
        assertEquals(List.of(), Json.requireList("ListServices", body, "Services", "ServiceName"), "no Services: none");
        body.put("Services", new ArrayList<>(List.of(service(), service())));
        assertEquals(2, Json.requireList("ListServices", body, "Services", "ServiceName").size());
        body.put("Services", List.of(Map.of("Status", "Running")));
        assertTrue(assertThrows(UserError.class, () -> Json.requireList("ListServices", body, "Services", "ServiceName"))
                .getMessage().contains("with an item of Services without ServiceName"));
        assertEquals(List.of("a", "b"), Json.strings(Map.of("Logs", List.of("a", 3, "b")), "Logs"));
    }

    @Test
    void errorAnswersAreOneLineNamingTheRamActionOrTheService() {
        Map<String, Object> denied = new HashMap<>();
        denied.put("Code", "Forbidden.RAM");
        denied.put("Message", "User not authorized");
        denied.put("RequestId", "R-1");
        denied.put("AccessDeniedDetail", Map.of("AuthAction", "eas:CreateService"));
        EasApiError e = EasApiError.from("CreateService", 403, null, denied);
        assertEquals(EasApiError.Kind.ACCESS_DENIED, e.kind());
        assertEquals("access denied (HTTP 403 Forbidden.RAM): the credentials from env X lack eas:CreateService; grant it"
                + " in a RAM policy (the README's EAS section has one); request id R-1", e.describe("service a", "r", "env X"));
        assertEquals("eas:ListServices", EasApiError.from("ListServices", 403, "Forbidden", Map.of()).ramAction());
        EasApiError missing = EasApiError.from("DescribeService", 404, "InvalidService.NotFound", Map.of("RequestId", "R-2"));
        assertEquals("service abc not found in region cn-hangzhou (HTTP 404 InvalidService.NotFound); request id R-2",
                missing.describe("service abc", "cn-hangzhou", "env"));
        assertEquals(EasApiError.Kind.THROTTLED, EasApiError.from("ListServices", 400, "Throttling.User", Map.of()).kind());
        assertEquals(EasApiError.Kind.THROTTLED, EasApiError.from("ListServices", 429, "", Map.of()).kind());
        assertEquals(EasApiError.Kind.BAD_CREDENTIALS, EasApiError.from("ListServices", 400, "SignatureDoesNotMatch", Map.of()).kind());
        EasApiError other = EasApiError.from("CreateService", 400, "InvalidParameter", Map.of("Message", "bad\n  json " + "y".repeat(300)));
        String line = other.describe(null, null, "env");
        assertTrue(line.startsWith("CreateService failed (HTTP 400 InvalidParameter): bad json y"), line);
        assertTrue(line.length() < 260 && !line.contains("\n"), line);
    }

    @Test
    void settingsFromTheEnvironment() {
        EasSettings s = EasSettings.fromEnv(Map.of("REGION", "cn-shanghai", "PAI_WORKSPACE_ID", "77"));
        assertEquals("pai-eas.cn-shanghai.aliyuncs.com", s.endpoint());
        assertEquals("cn-shanghai", s.region());
        assertEquals("77", s.workspaceId());
        assertEquals("HTTPS", s.protocol());
        EasSettings t = EasSettings.resolve(Map.of("REGION", "cn-shanghai", "LLAMAGIC_EAS_ENDPOINT", "127.0.0.1:9",
                "LLAMAGIC_EAS_PROTOCOL", "http", "LLAMAGIC_EAS_RETRY_MS", "20"), "cn-beijing", null, null, null);
        assertEquals("cn-beijing", t.region());
        assertEquals("127.0.0.1:9", t.endpoint());
        assertEquals("HTTP", t.protocol());
        assertEquals(20, t.firstRetry().toMillis());
        assertThrows(IllegalArgumentException.class, () -> EasSettings.resolve(Map.of(), "r", null, null, "ftp"));
        assertNull(EasSettings.fromEnv(Map.of()).endpoint());
    }

    @Test
    void theAccessHidesItsToken() {
        EasAccess a = new EasAccess("svc", "http://h/api/predict/svc", "tok-secret");
        assertFalse(a.toString().contains("tok-secret"));
        assertEquals("tok-secret", a.authorization());
    }
}
