package dev.llamagic.engine.hub;

import dev.llamagic.util.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The official client's index of a snapshot directory, so that it skips what we fetched: {@code .msc} (a Python
 * pickle of a list of {@code {'Path': ..., 'Revision': commit}} dicts), {@code .mv} ({@code Revision:R,CreatedAt:T})
 * and, in cache mode, {@code .mdl} ({@code {'id': 'owner/name'}}). Reads the small pickle subset the official
 * client writes (protocols 2-5) to merge with it; anything else is replaced.
 */
public final class LegacyCache {
    private LegacyCache() {}

    public static List<Map<String, String>> readMsc(Path dir) {
        Path f = dir.resolve(".msc");
        if (!Files.isRegularFile(f)) return new ArrayList<>();
        try {
            Object o = unpickle(Files.readAllBytes(f));
            List<Map<String, String>> out = new ArrayList<>();
            if (o instanceof List<?> l) {
                for (Object e : l) {
                    if (e instanceof Map<?, ?> m && m.get("Path") instanceof String p && m.get("Revision") instanceof String r) {
                        Map<String, String> k = new LinkedHashMap<>();
                        k.put("Path", p);
                        k.put("Revision", r);
                        out.add(k);
                    }
                }
            }
            return out;
        } catch (Exception e) {
            return new ArrayList<>();
        }
    }

    /** Adds (or refreshes) entries for the given files and writes .msc, .mv (and .mdl in cache mode). */
    public static void write(Layout layout, List<RepoFile> verified, String revision, long createdAt) throws IOException {
        Path dir = layout.root();
        List<Map<String, String>> entries = readMsc(dir);
        for (RepoFile f : verified) {
            entries.removeIf(e -> e.get("Path").equals(f.path()));
            Map<String, String> k = new LinkedHashMap<>();
            k.put("Path", f.path());
            k.put("Revision", f.revision());
            entries.add(k);
        }
        AtomicFiles.write(dir.resolve(".msc"), pickle(entries));
        AtomicFiles.write(dir.resolve(".mv"), ("Revision:" + revision + ",CreatedAt:" + createdAt).getBytes(StandardCharsets.UTF_8));
        if (layout.cacheMode()) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("id", layout.owner() + "/" + layout.name().replace(".", "___"));
            AtomicFiles.write(dir.resolve(".mdl"), pickleDict(meta));
        }
    }

    // ---- a minimal pickle writer (protocol 2) and reader

    static byte[] pickle(List<Map<String, String>> entries) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80);
        b.write(2);
        b.write(']'); // EMPTY_LIST
        if (!entries.isEmpty()) {
            b.write('('); // MARK
            for (Map<String, String> e : entries) dict(b, e);
            b.write('e'); // APPENDS
        }
        b.write('.');
        return b.toByteArray();
    }

    static byte[] pickleDict(Map<String, String> m) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80);
        b.write(2);
        dict(b, m);
        b.write('.');
        return b.toByteArray();
    }

    private static void dict(ByteArrayOutputStream b, Map<String, String> m) {
        b.write('}'); // EMPTY_DICT
        b.write('('); // MARK
        for (Map.Entry<String, String> kv : m.entrySet()) {
            str(b, kv.getKey());
            str(b, kv.getValue());
        }
        b.write('u'); // SETITEMS
    }

    private static void str(ByteArrayOutputStream b, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        b.write('X'); // BINUNICODE
        ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(u.length);
        b.write(len.array(), 0, 4);
        b.write(u, 0, u.length);
    }

    private static final Object MARK = new Object();

    @SuppressWarnings("unchecked")
    static Object unpickle(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        Deque<Object> stack = new ArrayDeque<>();
        Map<Long, Object> memo = new HashMap<>();
        while (in.hasRemaining()) {
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> in.get(); // PROTO
                case 0x95 -> in.getLong(); // FRAME
                case ']' -> stack.push(new ArrayList<>());
                case '}' -> stack.push(new LinkedHashMap<>());
                case '(' -> stack.push(MARK);
                case 'X' -> stack.push(utf8(in, in.getInt()));
                case 0x8c -> stack.push(utf8(in, in.get() & 0xff)); // SHORT_BINUNICODE
                case 0x8d -> stack.push(utf8(in, (int) in.getLong())); // BINUNICODE8
                case 0x94 -> memo.put((long) memo.size(), stack.peek()); // MEMOIZE
                case 'q' -> memo.put((long) (in.get() & 0xff), stack.peek()); // BINPUT
                case 'r' -> memo.put(in.getInt() & 0xffffffffL, stack.peek()); // LONG_BINPUT
                case 'h' -> stack.push(memo.get((long) (in.get() & 0xff))); // BINGET
                case 'j' -> stack.push(memo.get(in.getInt() & 0xffffffffL)); // LONG_BINGET
                case 'N' -> stack.push("None");
                case 's' -> { // SETITEM
                    Object v = stack.pop();
                    Object k = stack.pop();
                    ((Map<Object, Object>) stack.peek()).put(k, v);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popToMark(stack);
                    Map<Object, Object> m = (Map<Object, Object>) stack.peek();
                    for (int i = 0; i + 1 < items.size(); i += 2) m.put(items.get(i), items.get(i + 1));
                }
                case 'a' -> { // APPEND
                    Object v = stack.pop();
                    ((List<Object>) stack.peek()).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popToMark(stack);
                    ((List<Object>) stack.peek()).addAll(items);
                }
                case '.' -> {
                    return stack.pop();
                }
                default -> throw new IllegalArgumentException("unsupported pickle opcode " + op);
            }
        }
        throw new IllegalArgumentException("pickle without STOP");
    }

    private static List<Object> popToMark(Deque<Object> stack) {
        List<Object> items = new ArrayList<>();
        while (stack.peek() != MARK) items.add(0, stack.pop());
        stack.pop();
        return items;
    }

    private static String utf8(ByteBuffer in, int n) {
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
