package dev.llamagic.engine.dsw;

import java.util.List;
import java.util.Map;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.aliyun.ApiJson;

/** Reading the API's JSON (maps from tea-openapi): absent, null and "null" are all null. */
final class Fields {
    private Fields() {}

    static String str(Map<String, ?> m, String key) {
        return ApiJson.str(m, key);
    }

    static Long num(Map<String, ?> m, String key) {
        if (m == null) return null;
        Object v = m.get(key);
        if (v instanceof Number n) return n.longValue();
        String s = str(m, key);
        if (s == null) return null;
        try {
            return (long) Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Map<String, ?> obj(Map<String, ?> m, String key) {
        return ApiJson.obj(m, key);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, ?>> list(Map<String, ?> m, String key) {
        if (m == null) return List.of();
        Object v = m.get(key);
        if (!(v instanceof List<?> l)) return List.of();
        List<Map<String, ?>> out = new java.util.ArrayList<>();
        for (Object e : l) {
            if (e instanceof Map<?, ?>) out.add((Map<String, ?>) e);
        }
        return out;
    }

    static List<String> strings(Map<String, ?> m, String key) {
        if (m == null) return List.of();
        Object v = m.get(key);
        if (!(v instanceof List<?> l)) return List.of();
        return l.stream().filter(e -> e != null && !(e instanceof Map<?, ?>) && !(e instanceof java.util.Collection<?>))
                .map(String::valueOf).toList();
    }

    /**
     * The answer to {@code action} when it has every one of {@code required} as a scalar; otherwise one line naming
     * what it lacks. A body that was not a JSON object arrives here empty.
     */
    static Map<String, ?> require(String action, Map<String, ?> body, String... required) {
        return ApiJson.require("DSW", action, body, required);
    }

    /** The items of a list {@code key} in the answer to {@code action}; one line when it is not a list of objects. */
    static List<Map<String, ?>> requireList(String action, Map<String, ?> body, String key, String... requiredInItems) {
        Object v = body == null ? null : body.get(key);
        if (!(v instanceof List<?> l)) throw unexpected(action, "without a list of " + key, body);
        List<Map<String, ?>> items = list(body, key);
        if (items.size() != l.size()) throw unexpected(action, "with " + key + " that are not all objects", body);
        for (Map<String, ?> item : items) {
            for (String r : requiredInItems) {
                if (str(item, r) == null) throw unexpected(action, "with an item of " + key + " without " + r, body);
            }
        }
        return items;
    }

    static UserError unexpected(String action, String what, Map<String, ?> body) {
        return ApiJson.unexpected("DSW", action, what, body);
    }
}
