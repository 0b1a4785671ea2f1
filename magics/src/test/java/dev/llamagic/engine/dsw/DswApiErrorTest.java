package dev.llamagic.engine.dsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DswApiErrorTest {

    static Map<String, Object> data(int status, String code, String message) {
        Map<String, Object> m = new HashMap<>();
        m.put("statusCode", status);
        m.put("Code", code);
        m.put("Message", message);
        m.put("RequestId", "E7D55162-4489-1619-AAF5-3F97D5FCA948");
        return m;
    }

    @Test
    void forbiddenNamesTheRamActionAndRequestId() {
        Map<String, Object> d = data(403, "Forbidden.RAM", "User not authorized");
        d.put("AccessDeniedDetail", Map.of("AuthAction", "paidsw:CreateInstanceSnapshot"));
        DswApiError e = DswApiError.from("CreateInstanceSnapshot", 403, "Forbidden.RAM", d);
        assertEquals(DswApiError.Kind.ACCESS_DENIED, e.kind());
        String line = e.describe("dsw-1", "cn-hangzhou", "env ALIBABA_CLOUD_ACCESS_KEY_ID");
        assertTrue(line.contains("access denied (HTTP 403 Forbidden.RAM)"), line);
        assertTrue(line.contains("paidsw:CreateInstanceSnapshot"), line);
        assertTrue(line.endsWith("request id E7D55162-4489-1619-AAF5-3F97D5FCA948"), line);
        assertFalse(line.contains("\n"));
    }

    @Test
    void withoutDetailTheActionIsDerived() {
        DswApiError e = DswApiError.from("StopInstance", 403, "NoPermission", data(403, "NoPermission", "x"));
        assertEquals("paidsw:StopInstance", e.ramAction());
    }

    @Test
    void notFoundNamesInstanceAndRegion() {
        DswApiError e = DswApiError.from("GetInstance", 404, "InstanceNotFound", data(404, "InstanceNotFound", "gone"));
        assertEquals(DswApiError.Kind.NOT_FOUND, e.kind());
        String line = e.describe("dsw-nope", "cn-shanghai", "src");
        assertTrue(line.startsWith("instance dsw-nope not found in region cn-shanghai (HTTP 404 InstanceNotFound)"), line);
    }

    @Test
    void throttlingBadCredentialsAndTheRest() {
        assertEquals(DswApiError.Kind.THROTTLED,
                DswApiError.from("GetInstance", 400, "Throttling.User", data(400, "Throttling.User", "")).kind());
        assertEquals(DswApiError.Kind.THROTTLED,
                DswApiError.from("GetInstance", 429, "TooManyRequests", data(429, "TooManyRequests", "")).kind());
        // the gateway answers 404 for an unknown AccessKey id: that is not "instance not found"
        assertEquals(DswApiError.Kind.BAD_CREDENTIALS, DswApiError.from("GetInstance", 404,
                "InvalidAccessKeyId.NotFound", data(404, "InvalidAccessKeyId.NotFound", "")).kind());
        assertEquals(DswApiError.Kind.BAD_CREDENTIALS, DswApiError.from("GetInstance", 400,
                "SignatureDoesNotMatch", data(400, "SignatureDoesNotMatch", "")).kind());
        DswApiError other = DswApiError.from("CreateInstanceSnapshot", 400, "ValidationError",
                data(400, "ValidationError", "SnapshotName\nis invalid"));
        assertEquals(DswApiError.Kind.OTHER, other.kind());
        assertEquals("CreateInstanceSnapshot failed (HTTP 400 ValidationError): SnapshotName is invalid;"
                + " request id E7D55162-4489-1619-AAF5-3F97D5FCA948", other.describe("dsw-1", "r", "s"));
    }

    @Test
    void statusFromDataWhenTheExceptionHasNone() {
        DswApiError e = DswApiError.from("GetInstance", null, null, data(403, "Forbidden.RAM", ""));
        assertEquals(403, e.status());
        assertEquals("Forbidden.RAM", e.code());
    }
}
