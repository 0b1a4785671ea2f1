package dev.llamagic.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Where the hub is: an explicit endpoint, else {@code MODELSCOPE_ENDPOINT} (a full URL, http allowed), else
 * {@code MODELSCOPE_DOMAIN} (a bare host, https prepended as the official client does; a value that already
 * has a scheme is taken as is), else {@code https://www.modelscope.cn}. Also the intranet acceleration probe
 * of PAI-DSW: bounded by the official 0.2 s timeouts and never failing anything.
 */
public final class HubEndpoint {
    public static final String DEFAULT = "https://www.modelscope.cn";
    /** The official client's timeout for each of the two probe requests. */
    public static final Duration PROBE_TIMEOUT = Duration.ofMillis(200);

    private HubEndpoint() {}

    public static HttpUrl resolve(String explicit, Map<String, String> env) {
        String raw = firstNonBlank(explicit, env.get("MODELSCOPE_ENDPOINT"));
        String source = explicit != null && !explicit.isBlank() ? "--endpoint" : "MODELSCOPE_ENDPOINT";
        if (raw == null) {
            String domain = env.get("MODELSCOPE_DOMAIN");
            if (domain != null && !domain.isBlank()) {
                raw = domain.strip();
                source = "MODELSCOPE_DOMAIN";
                if (!raw.startsWith("http://") && !raw.startsWith("https://")) raw = "https://" + raw;
            } else {
                raw = DEFAULT;
            }
        } else if (!raw.startsWith("http://") && !raw.startsWith("https://")) {
            raw = "https://" + raw;
        }
        while (raw.endsWith("/")) raw = raw.substring(0, raw.length() - 1);
        HttpUrl url = HttpUrl.parse(raw);
        if (url == null) throw new IllegalArgumentException(source + " is not a URL: '" + raw + "'");
        return url;
    }

    /**
     * The region to send as {@code x-aliyun-region-id}, or null: {@code INTRA_CLOUD_ACCELERATION=False} turns it
     * off, {@code INTRA_CLOUD_ACCELERATION_REGION} skips the probe, else the probe (null on any failure).
     */
    public static String region(HttpUrl endpoint, Map<String, String> env, OkHttpClient base) {
        String on = env.getOrDefault("INTRA_CLOUD_ACCELERATION", "True");
        if (!"true".equals(on.strip().toLowerCase(Locale.ROOT))) return null;
        String fixed = env.get("INTRA_CLOUD_ACCELERATION_REGION");
        if (fixed != null && !fixed.isBlank()) return fixed.strip();
        return probe(endpoint, base);
    }

    /** Starts the probe in the background; {@link #await} waits no longer than the two timeouts allow. */
    public static CompletableFuture<String> regionAsync(HttpUrl endpoint, Map<String, String> env, OkHttpClient base) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(region(endpoint, env, base));
            } catch (Throwable e) {
                f.complete(null);
            }
        }, "llamagic-region-probe");
        t.setDaemon(true);
        t.start();
        return f;
    }

    public static String await(CompletableFuture<String> f) {
        try {
            // two requests of 0.2 s each, plus a little slack for DNS that the call timeout cannot cut
            return f.get(2 * PROBE_TIMEOUT.toMillis() + 100, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return null;
        }
    }

    static String probe(HttpUrl endpoint, OkHttpClient base) {
        OkHttpClient quick = base.newBuilder().callTimeout(PROBE_TIMEOUT).connectTimeout(PROBE_TIMEOUT)
                .readTimeout(PROBE_TIMEOUT).retryOnConnectionFailure(false).build();
        try {
            HttpUrl info = endpoint.newBuilder().addPathSegments("api/v1/repos/internalAccelerationInfo").build();
            String addr;
            try (Response r = quick.newCall(new Request.Builder().url(info).build()).execute()) {
                if (!r.isSuccessful() || r.body() == null) return null;
                JsonNode d = new ObjectMapper().readTree(r.body().string()).path("Data");
                addr = d.path("InternalRegionQueryAddress").asText("");
            }
            HttpUrl q = addr.isBlank() ? null : HttpUrl.parse(addr);
            if (q == null) return null;
            try (Response r = quick.newCall(new Request.Builder().url(q).build()).execute()) {
                ResponseBody b = r.body();
                if (!r.isSuccessful() || b == null) return null;
                String region = b.string().strip();
                return region.isEmpty() || region.length() > 64 ? null : region;
            }
        } catch (Exception e) {
            return null;
        }
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v.strip();
        return null;
    }
}
