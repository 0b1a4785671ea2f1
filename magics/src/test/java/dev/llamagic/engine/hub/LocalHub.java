package dev.llamagic.engine.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real local HTTP server that speaks the hub's API for one model, acme/m (listing, revisions, ranged file
 * bytes), for tests of the downloader end to end. {@link #entry} adds listing entries that have no bytes
 * (odd names, odd sizes); {@link #slow} makes the first body request of a file trickle; {@link #faults} strikes a
 * share of the body requests (seeded) with a cut (reset, truncated), a 503, a stall, or one 4 KiB block silently
 * corrupted; {@link #corrupt} corrupts chosen requests; {@link #sent} counts the body bytes sent.
 * (HttpServer cannot send a TCP reset: "reset" aborts the exchange mid-body, which the client sees as an early end.)
 */
final class LocalHub implements AutoCloseable {
    static final String REPO = "acme/m";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

    final HttpServer server;
    final Map<String, byte[]> files = new LinkedHashMap<>();
    final List<ObjectNode> extra = new ArrayList<>();
    /** "path start-end" of each body request, when it ended. */
    final List<String> bodies = new CopyOnWriteArrayList<>();
    volatile String slowFile;
    volatile long slowDelayMs;
    volatile int slowTimes;
    static final List<String> KINDS = List.of("reset", "truncate", "5xx", "stall", "corrupt");
    final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    final Map<String, java.util.concurrent.atomic.AtomicInteger> fired = new java.util.concurrent.ConcurrentHashMap<>();
    private double faultRate;
    private List<String> faultKinds = List.of();
    private java.util.Random rng = new java.util.Random(0);
    private long stallMs = 2000;
    /** "path offset" → how many more requests covering that byte are corrupted there (a negative count: all). */
    private final Map<String, Integer> corruptAt = new java.util.HashMap<>();
    /** Where this request's targeted corruptions go: offsets in its body (by thread). */
    private final ThreadLocal<List<Long>> targeted = ThreadLocal.withInitial(java.util.ArrayList::new);
    /** Corrupt bodies have their block in the middle, the same each time (a sticky fault), not at a random place. */
    volatile boolean corruptMiddle;
    /** Called with "path start-end" before each body is sent. */
    volatile java.util.function.Consumer<String> beforeBody = b -> { };

    LocalHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "local-hub");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    LocalHub file(String path, byte[] bytes) {
        files.put(path, bytes);
        return this;
    }

    final Map<String, String> listedSha = new java.util.concurrent.ConcurrentHashMap<>();

    /** The listing gives {@code sha} for {@code path} (whatever its bytes are). */
    LocalHub lists(String path, String sha) {
        listedSha.put(path, sha);
        return this;
    }

    /** A listing entry without bytes behind it. */
    LocalHub entry(String path, long size) {
        ObjectNode f = JSON.createObjectNode();
        f.put("Name", path.substring(path.lastIndexOf('/') + 1));
        f.put("Path", path);
        f.put("Size", size);
        f.put("Sha256", "00".repeat(32));
        f.put("Type", "blob");
        f.put("Revision", "c0ffee");
        extra.add(f);
        return this;
    }

    /** The first {@code times} body requests of {@code path} send one byte every {@code delayMs}. */
    LocalHub slow(String path, long delayMs, int times) {
        slowFile = path;
        slowDelayMs = delayMs;
        slowTimes = times;
        return this;
    }

    /** Each body request is faulted with probability {@code rate}, the kind drawn uniformly from {@code kinds}. */
    synchronized LocalHub faults(double rate, long seed, long stallMs, String... kinds) {
        this.faultRate = rate;
        this.rng = new java.util.Random(seed);
        this.stallMs = stallMs;
        this.faultKinds = kinds.length == 0 ? KINDS : List.of(kinds);
        return this;
    }

    /**
     * The next {@code times} body requests of {@code path} whose bytes cover byte {@code offset} are corrupted
     * there (-1: all of them): a 4 KiB block from that byte XORed with a mask drawn per request (so two corrupted
     * copies differ), or the body's middle flipped the same way each time with {@link #corruptMiddle}.
     */
    synchronized LocalHub corrupt(String path, long offset, int times) {
        corruptAt.put(path + " " + offset, times);
        return this;
    }

    /** "path offset" → how many more requests covering that byte are reset halfway through their body. */
    private final Map<String, Integer> cutAt = new java.util.HashMap<>();

    /** The next {@code times} body requests of {@code path} covering byte {@code offset} are reset halfway. */
    synchronized LocalHub cut(String path, long offset, int times) {
        cutAt.put(path + " " + offset, times);
        return this;
    }

    private synchronized String pickFault(String file, long start, long end) {
        for (Map.Entry<String, Integer> e : cutAt.entrySet()) {
            int sp = e.getKey().lastIndexOf(' ');
            long at = Long.parseLong(e.getKey().substring(sp + 1));
            if (e.getKey().substring(0, sp).equals(file) && e.getValue() != 0 && start <= at && at <= end) {
                e.setValue(e.getValue() - 1);
                return "reset";
            }
        }
        List<Long> hits = targeted.get();
        hits.clear();
        for (Map.Entry<String, Integer> e : corruptAt.entrySet()) {
            int sp = e.getKey().lastIndexOf(' ');
            if (!e.getKey().substring(0, sp).equals(file) || e.getValue() == 0) continue;
            long at = Long.parseLong(e.getKey().substring(sp + 1));
            if (at < start || at > end) continue;
            e.setValue(e.getValue() - 1);
            hits.add(at - start);
        }
        if (!hits.isEmpty()) return "corrupt";
        if (faultRate > 0 && rng.nextDouble() < faultRate) return faultKinds.get(rng.nextInt(faultKinds.size()));
        return null;
    }

    private synchronized int draw(int bound) {
        return rng.nextInt(bound);
    }

    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A context whose notebook records everything, without the intranet probe. */
    static Context context(RecordingNotebook nb) {
        return new Context(nb, Map.of("INTRA_CLOUD_ACCELERATION", "False"), "test", null);
    }

    ModelScope.Options options(java.nio.file.Path dir) {
        return new ModelScope.Options(REPO).endpoint(url()).localDir(dir)
                .tuning(new SnapshotDownloader.Options(4, 4, 1 << 20, 2, false));
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            Map<String, String> q = query(x.getRequestURI().getRawQuery());
            String base = "/api/v1/models/" + REPO;
            if (path.equals(base)) {
                json(x, "{\"Code\":200,\"Data\":{},\"Success\":true}");
            } else if (path.equals(base + "/revisions")) {
                json(x, "{\"Code\":200,\"Data\":{\"RevisionMap\":{\"Branches\":[{\"Revision\":\"master\",\"CreatedAt\":1}],"
                        + "\"Tags\":[]}},\"Success\":true}");
            } else if (path.equals(base + "/repo/files")) {
                ObjectNode root = JSON.createObjectNode();
                root.put("Code", 200);
                root.put("Success", true);
                ArrayNode list = root.putObject("Data").putArray("Files");
                for (Map.Entry<String, byte[]> e : files.entrySet()) {
                    ObjectNode f = list.addObject();
                    f.put("Name", e.getKey().substring(e.getKey().lastIndexOf('/') + 1));
                    f.put("Path", e.getKey());
                    f.put("Size", e.getValue().length);
                    f.put("Sha256", listedSha.getOrDefault(e.getKey(), sha256(e.getValue())));
                    f.put("Type", "blob");
                    f.put("Revision", "c0ffee");
                }
                extra.forEach(list::add);
                json(x, JSON.writeValueAsString(root));
            } else if (path.equals(base + "/repo")) {
                serve(x, q.get("FilePath"));
            } else {
                x.sendResponseHeaders(404, -1);
            }
        }
    }

    private void serve(HttpExchange x, String file) throws IOException {
        byte[] b = files.get(file);
        if (b == null) {
            x.sendResponseHeaders(404, -1);
            return;
        }
        long start = 0;
        long end = b.length - 1;
        String range = x.getRequestHeaders().getFirst("Range");
        Matcher m = range == null ? null : RANGE.matcher(range);
        if (m != null && m.matches()) {
            start = Long.parseLong(m.group(1));
            end = Math.min(end, Long.parseLong(m.group(2)));
        }
        boolean slow = false;
        synchronized (this) {
            if (file.equals(slowFile) && slowTimes > 0) {
                slowTimes--;
                slow = true;
            }
        }
        beforeBody.accept(file + " " + start + "-" + end);
        String fault = slow ? null : pickFault(file, start, end);
        if (fault != null) fired.computeIfAbsent(fault, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        if ("5xx".equals(fault)) {
            x.sendResponseHeaders(503, -1);
            bodies.add(file + " " + start + "-" + end + " sent 0 (503)");
            return;
        }
        int len = (int) (end - start + 1);
        x.getResponseHeaders().set("Content-Range", "bytes " + start + "-" + end + "/" + b.length);
        x.sendResponseHeaders(206, len);
        long sent = 0;
        try (OutputStream out = x.getResponseBody()) {
            if (fault != null && !fault.equals("corrupt")) {
                // a cut: part of the body, then (stall) a wait longer than the client's read timeout, then the end
                int part = len / 2;
                out.write(b, (int) start, part);
                out.flush();
                sent = part;
                if (fault.equals("stall")) Thread.sleep(stallMs);
                throw new IOException(fault); // the exchange ends short of its Content-Length
            } else if (fault != null) {
                byte[] body = java.util.Arrays.copyOfRange(b, (int) start, (int) end + 1);
                List<Long> hits = targeted.get();
                if (corruptMiddle || hits.isEmpty()) {
                    int at = len <= 4096 ? 0 : corruptMiddle ? (len - 4096) / 2 : draw(len - 4096 + 1);
                    for (int k = at; k < Math.min(len, at + 4096); k++) body[k] ^= (byte) 0xFF;
                } else {
                    byte mask = (byte) (1 + draw(255));
                    for (long hit : hits) {
                        for (long k = hit; k < Math.min(len, hit + 4096); k++) body[(int) k] ^= mask;
                    }
                }
                out.write(body);
                sent = len;
            } else if (slow) {
                for (long i = start; i <= end; i++) {
                    out.write(b[(int) i]);
                    out.flush();
                    sent++;
                    Thread.sleep(slowDelayMs);
                }
            } else {
                out.write(b, (int) start, (int) (end - start + 1));
                sent = end - start + 1;
            }
        } catch (IOException | InterruptedException e) {
            // the client went away
        } finally {
            this.sent.addAndGet(sent);
            bodies.add(file + " " + start + "-" + end + " sent " + sent + (fault == null ? "" : " (" + fault + ")"));
        }
    }

    private static void json(HttpExchange x, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(200, b.length);
        x.getResponseBody().write(b);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null) return q;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) q.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
