package dev.llamagic.engine.eas;

import dev.llamagic.core.UserError;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import dev.llamagic.engine.aliyun.ApiJson;

/** Reading the EAS API's JSON (maps from tea-openapi) defensively: absent, null, "null" and "" are all null. */
final class Json {
    private Json() {}

    static String str(Map<String, ?> m, String key) {
        return ApiJson.str(m, key);
    }

    static Integer num(Map<String, ?> m, String key) {
        if (m == null) return null;
        Object v = m.get(key);
        if (v instanceof Number n) return clamp(n.doubleValue());
        String s = str(m, key);
        if (s == null) return null;
        try {
            return clamp(Double.parseDouble(s));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Integer clamp(double d) {
        if (!Double.isFinite(d) || d < 0 || d > 1_000_000) return null;
        return (int) d;
    }

    static Map<String, ?> obj(Map<String, ?> m, String key) {
        return ApiJson.obj(m, key);
    }

    /** The strings of a list (log lines); non-strings are skipped. */
    static List<String> strings(Map<String, ?> m, String key) {
        if (m == null || !(m.get(key) instanceof List<?> l)) return List.of();
        List<String> out = new ArrayList<>();
        for (Object e : l) if (e instanceof String s) out.add(s);
        return out;
    }

    /** The objects of list {@code key}; a one-line error when it is not a list of objects naming each {@code required}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, ?>> requireList(String action, Map<String, ?> body, String key, String... required) {
        Object v = body == null ? null : body.get(key);
        if (v == null) return List.of(); // EAS leaves Services out when there are none
        if (!(v instanceof List<?> l)) throw unexpected(action, "with " + key + " that is not a list", body);
        List<Map<String, ?>> out = new ArrayList<>();
        for (Object e : l) {
            if (!(e instanceof Map<?, ?> map)) throw unexpected(action, "with " + key + " that are not all objects", body);
            for (String r : required) {
                if (str((Map<String, ?>) map, r) == null) throw unexpected(action, "with an item of " + key + " without " + r, body);
            }
            out.add((Map<String, ?>) map);
        }
        return out;
    }

    static Map<String, ?> require(String action, Map<String, ?> body, String... required) {
        return ApiJson.require("EAS", action, body, required);
    }

    static UserError unexpected(String action, String what, Map<String, ?> body) {
        return ApiJson.unexpected("EAS", action, what, body);
    }
}
