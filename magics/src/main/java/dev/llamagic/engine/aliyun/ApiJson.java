package dev.llamagic.engine.aliyun;

import dev.llamagic.core.UserError;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reading Alibaba Cloud API answers (maps from tea-openapi) defensively: absent, null, "null" and "" are all
 * null. Shared by the EAS and DSW clients.
 */
public final class ApiJson {
    private ApiJson() {}

    /** A scalar as text; whole numbers without ".0". */
    public static String str(Map<String, ?> m, String key) {
        if (m == null) return null;
        Object v = m.get(key);
        if (v == null || v instanceof Map<?, ?> || v instanceof Collection<?>) return null;
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        }
        String s = String.valueOf(v).trim();
        return s.isEmpty() || s.equals("null") ? null : s;
    }

    /** A number, or a string holding one; null otherwise. */
    public static Double number(Map<String, ?> m, String key) {
        if (m == null) return null;
        Object v = m.get(key);
        if (v instanceof Number n) return n.doubleValue();
        String s = str(m, key);
        if (s == null) return null;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, ?> obj(Map<String, ?> m, String key) {
        if (m == null) return null;
        Object v = m.get(key);
        return v instanceof Map<?, ?> map ? (Map<String, ?>) map : null;
    }

    /** The answer to {@code action} of API {@code api} ("EAS") when it has every one of {@code required}; else one line. */
    public static Map<String, ?> require(String api, String action, Map<String, ?> body, String... required) {
        List<String> missing = new ArrayList<>();
        for (String key : required) if (str(body, key) == null) missing.add(key);
        if (!missing.isEmpty()) throw unexpected(api, action, "without " + String.join("/", missing), body);
        return body;
    }

    /** One line for an answer of an unexpected shape, with its request id when it has one. */
    public static UserError unexpected(String api, String action, String what, Map<String, ?> body) {
        String rid = str(body, "RequestId");
        if (rid != null && (rid.length() > 80 || !rid.matches("[\\w.:-]+"))) rid = null;
        return new UserError("the " + api + " API answered " + action + " " + what + ": unexpected response shape"
                + (rid == null ? "" : "; request id " + rid));
    }
}
