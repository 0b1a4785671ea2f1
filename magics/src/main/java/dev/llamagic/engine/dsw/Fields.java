package dev.llamagic.engine.dsw;

import java.util.List;
import java.util.Map;

/** Reading the API's JSON (maps from tea-openapi): absent, null and "null" are all null. */
final class Fields {
    private Fields() {}

    static String str(Map<String, ?> m, String key) {
        if (m == null) return null;
        Object v = m.get(key);
        if (v == null) return null;
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        }
        String s = String.valueOf(v).trim();
        return s.isEmpty() || s.equals("null") ? null : s;
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

    @SuppressWarnings("unchecked")
    static Map<String, ?> obj(Map<String, ?> m, String key) {
        if (m == null) return null;
        Object v = m.get(key);
        return v instanceof Map<?, ?> map ? (Map<String, ?>) map : null;
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
        return l.stream().filter(e -> e != null).map(String::valueOf).toList();
    }
}
