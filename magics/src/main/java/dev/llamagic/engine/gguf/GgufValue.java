package dev.llamagic.engine.gguf;

import java.util.List;

/**
 * One GGUF metadata value with its on-disk type. Scalars hold a Long (integers, bool as 0/1 via Boolean),
 * Double/Float, Boolean or String; arrays hold a List of those with {@code elemType} set.
 */
public record GgufValue(Type type, Type elemType, Object value) {

    /** GGUF metadata value types, with their ids. */
    public enum Type {
        UINT8(0), INT8(1), UINT16(2), INT16(3), UINT32(4), INT32(5), FLOAT32(6), BOOL(7), STRING(8), ARRAY(9),
        UINT64(10), INT64(11), FLOAT64(12);

        public final int id;

        Type(int id) {
            this.id = id;
        }

        public static Type of(int id) {
            for (Type t : values()) if (t.id == id) return t;
            return null;
        }
    }

    public static GgufValue string(String s) {
        return new GgufValue(Type.STRING, null, s);
    }

    public static GgufValue u32(long v) {
        return new GgufValue(Type.UINT32, null, v);
    }

    public static GgufValue i32(long v) {
        return new GgufValue(Type.INT32, null, v);
    }

    public static GgufValue u64(long v) {
        return new GgufValue(Type.UINT64, null, v);
    }

    public static GgufValue f32(double v) {
        return new GgufValue(Type.FLOAT32, null, (float) v);
    }

    public static GgufValue bool(boolean v) {
        return new GgufValue(Type.BOOL, null, v);
    }

    public static GgufValue array(Type elemType, List<?> values) {
        return new GgufValue(Type.ARRAY, elemType, List.copyOf(values));
    }

    @SuppressWarnings("unchecked")
    public List<Object> list() {
        return (List<Object>) value;
    }

    public String asString() {
        return (String) value;
    }

    public long asLong() {
        if (value instanceof Boolean b) return b ? 1 : 0;
        return ((Number) value).longValue();
    }

    public double asDouble() {
        return ((Number) value).doubleValue();
    }

    /** A short human form: arrays longer than {@code max} elements summarized. */
    public String display(int max) {
        if (type != Type.ARRAY) {
            if (type == Type.STRING) {
                String s = (String) value;
                return s.length() > 60 ? s.substring(0, 60).replace("\n", "\\n") + "… (" + s.length() + " chars)" : s.replace("\n", "\\n");
            }
            return String.valueOf(value);
        }
        List<Object> l = list();
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < Math.min(max, l.size()); i++) {
            if (i > 0) b.append(", ");
            Object o = l.get(i);
            b.append(o instanceof String s ? "'" + s + "'" : String.valueOf(o));
        }
        if (l.size() > max) b.append(", …");
        b.append("]");
        if (l.size() > max) b.append(" (").append(l.size()).append(" × ").append(elemType.name().toLowerCase()).append(")");
        return b.toString();
    }
}
