package dev.llamagic.engine.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llamagic.core.Version;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The hub's HTTP API as the official client speaks it (docs/modelscope-hub-protocol.md): existence, revisions,
 * recursive listing, file URLs. Every request carries an honest user-agent of the official shape and an
 * {@code X-Request-ID}; the token goes as cookie {@code m_session_id} and {@code Authorization: Bearer}, added
 * by a network interceptor only to requests for the endpoint's own host and port, so a redirect to another
 * host (OSS) never carries it.
 */
public final class ModelScopeClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpUrl endpoint;
    private final String token;
    private final OkHttpClient http;
    private final String userAgent;
    private final String snapshotId = UUID.randomUUID().toString();
    private volatile String region;

    public ModelScopeClient(HttpUrl endpoint, String token, Duration readTimeout, int maxConnections, Map<String, String> env) {
        this.endpoint = endpoint;
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.userAgent = userAgent(env);
        Dispatcher d = new Dispatcher();
        d.setMaxRequests(Math.max(64, maxConnections * 2));
        d.setMaxRequestsPerHost(Math.max(64, maxConnections * 2));
        this.http = new OkHttpClient.Builder()
                .dispatcher(d)
                .connectionPool(new ConnectionPool(Math.max(8, maxConnections + 4), 1, TimeUnit.MINUTES))
                .connectTimeout(Duration.ofSeconds(20))
                .readTimeout(readTimeout)
                .writeTimeout(Duration.ofSeconds(30))
                .followRedirects(true)
                .followSslRedirects(true)
                .retryOnConnectionFailure(true)
                .addNetworkInterceptor(this::authenticate)
                .build();
    }

    public HttpUrl endpoint() {
        return endpoint;
    }

    public OkHttpClient http() {
        return http;
    }

    public void region(String region) {
        this.region = region;
    }

    static String userAgent(Map<String, String> env) {
        return String.format(Locale.ROOT, "llamagic/%s; java/%s; session_id/%s; platform/%s; processor/%s; env/%s; user/%s",
                Version.llamagic(), System.getProperty("java.version"), UUID.randomUUID().toString().replace("-", ""),
                System.getProperty("os.name") + "-" + System.getProperty("os.version"), System.getProperty("os.arch"),
                env.getOrDefault("MODELSCOPE_ENVIRONMENT", "custom"), env.getOrDefault("MODELSCOPE_USERNAME", "unknown"));
    }

    private Response authenticate(Interceptor.Chain chain) throws IOException {
        Request r = chain.request();
        HttpUrl u = r.url();
        if (token != null && u.host().equalsIgnoreCase(endpoint.host()) && u.port() == endpoint.port()
                && u.scheme().equals(endpoint.scheme())) {
            r = r.newBuilder()
                    .header("Cookie", "m_session_id=" + token)
                    .header("Authorization", "Bearer " + token)
                    .build();
        }
        return chain.proceed(r);
    }

    private Request.Builder request(HttpUrl url) {
        return new Request.Builder().url(url)
                .header("user-agent", userAgent)
                .header("X-Request-ID", UUID.randomUUID().toString().replace("-", ""));
    }

    private HttpUrl.Builder model(String owner, String name) {
        return endpoint.newBuilder().addPathSegments("api/v1/models").addPathSegment(owner).addPathSegment(name);
    }

    /** Step 1: the model exists (404 → not found, 401/403 → token). */
    public void checkModel(String owner, String name) throws IOException {
        try (Response r = http.newCall(request(model(owner, name).build()).build()).execute()) {
            if (!r.isSuccessful()) throw httpError(r, owner + "/" + name);
        }
    }

    /** A branch or tag and when it was made. */
    public record Revision(String name, long createdAt, boolean tag) {}

    /** Step 2: branches and tags. */
    public List<Revision> revisions(String owner, String name) throws IOException {
        JsonNode data = getData(model(owner, name).addPathSegment("revisions").build(), owner + "/" + name, false);
        List<Revision> out = new ArrayList<>();
        JsonNode map = data.path("RevisionMap");
        for (JsonNode b : map.path("Branches")) out.add(new Revision(b.path("Revision").asText(), b.path("CreatedAt").asLong(), false));
        for (JsonNode t : map.path("Tags")) out.add(new Revision(t.path("Revision").asText(), t.path("CreatedAt").asLong(), true));
        return out;
    }

    /** Step 3: the recursive listing of a revision (trees, .gitignore and .gitattributes dropped). */
    public List<RepoFile> listFiles(String owner, String name, String revision, String root) throws IOException {
        HttpUrl.Builder u = model(owner, name).addPathSegments("repo/files")
                .addQueryParameter("Revision", revision).addQueryParameter("Recursive", "True");
        if (root != null) u.addQueryParameter("Root", root);
        return parseListing(getData(u.build(), owner + "/" + name, true), owner + "/" + name);
    }

    /**
     * The files of a listing's {@code Data}: entries of another shape, and Sha256 values that are not 64 hex digits,
     * are refused in one line (paths and sizes are judged by {@link DownloadPlan}).
     */
    static List<RepoFile> parseListing(JsonNode data, String repo) {
        if (data.isMissingNode() || data.isNull()) data = JSON.createObjectNode();
        if (!data.isObject()) throw shape(repo, "its Data is not an object");
        JsonNode files = data.path("Files");
        if (!files.isMissingNode() && !files.isNull() && !files.isArray()) throw shape(repo, "its Files is not a list");
        List<RepoFile> out = new ArrayList<>();
        for (JsonNode f : files) {
            if (!f.isObject()) throw shape(repo, "an entry of Files is not an object");
            if ("tree".equals(f.path("Type").asText())) continue;
            String fname = f.path("Name").asText();
            if (fname.equals(".gitignore") || fname.equals(".gitattributes")) continue;
            String path = f.path("Path").isTextual() ? f.path("Path").asText() : "";
            JsonNode s = f.path("Sha256");
            String sha = null;
            if (s.isTextual() && !s.asText().isBlank()) {
                sha = s.asText().strip().toLowerCase(Locale.ROOT);
                if (!sha.matches("[0-9a-f]{64}")) {
                    throw new HubException(0, "refusing to download " + repo + ": the hub lists a file '"
                            + DownloadPlan.printable(path) + "' whose Sha256 is not 64 hex digits");
                }
            } else if (!s.isMissingNode() && !s.isNull() && !s.isTextual()) {
                throw new HubException(0, "refusing to download " + repo + ": the hub lists a file '"
                        + DownloadPlan.printable(path) + "' whose Sha256 is not text");
            }
            JsonNode rev = f.path("Revision");
            out.add(new RepoFile(path, size(f.path("Size")), sha, rev.isValueNode() && !rev.isNull() ? rev.asText() : ""));
        }
        return out;
    }

    private static HubException shape(String repo, String what) {
        return new HubException(0, "the hub answered the file listing of " + repo + " in an unexpected shape (" + what + ")");
    }

    /** A listed Size: the number, or {@link RepoFile#UNREADABLE_SIZE} when it is missing or not a whole number. */
    static long size(JsonNode n) {
        if (n.isIntegralNumber() && n.canConvertToLong()) return n.asLong();
        if (n.isTextual() && n.asText().strip().matches("-?\\d{1,18}")) return Long.parseLong(n.asText().strip());
        return RepoFile.UNREADABLE_SIZE;
    }

    /** Step 4: the URL of a file's bytes (the hub redirects it to storage). */
    public HttpUrl fileUrl(String owner, String name, String revision, String path) {
        return model(owner, name).addPathSegment("repo")
                .addQueryParameter("Revision", revision).addQueryParameter("FilePath", path).build();
    }

    /** A call for bytes [start, end] of a file; the caller executes it (and may cancel it from another thread). */
    public Call rangeCall(HttpUrl fileUrl, long start, long end) {
        Request.Builder b = request(fileUrl)
                .header("Range", "bytes=" + start + "-" + end)
                .header("snapshot-identifier", snapshotId)
                .header("Accept-Encoding", "identity");
        String reg = region;
        if (reg != null) b.header("x-aliyun-region-id", reg);
        return http.newCall(b.build());
    }

    private JsonNode getData(HttpUrl url, String repo, boolean listing) throws IOException {
        Request.Builder b = request(url);
        if (listing) b.header("snapshot-identifier", snapshotId).header("Snapshot", "True");
        try (Response r = http.newCall(b.build()).execute()) {
            if (!r.isSuccessful()) throw httpError(r, repo);
            String body = r.body() == null ? "" : r.body().string();
            JsonNode d;
            try {
                d = JSON.readTree(body);
            } catch (IOException e) {
                throw new HubException(r.code(), "the hub answered " + url + " with something that is not JSON");
            }
            if (d.path("Code").asInt(200) != 200 || !d.path("Success").asBoolean(true)) {
                throw new HubException(r.code(), "the hub refused " + url.encodedPath() + " for " + repo + ": "
                        + d.path("Message").asText("code " + d.path("Code").asText()));
            }
            return d.path("Data");
        }
    }

    /** One sentence for an HTTP error of the API. */
    public HubException httpError(Response r, String repo) {
        int c = r.code();
        String rid = r.request().header("X-Request-ID");
        if (c == 404) return new HubException(c, "model " + repo + " does not exist on " + endpoint
                + " (check the id, e.g. Qwen/Qwen3-4B)");
        if (c == 401 || c == 403) {
            if (token == null) return new HubException(c, "model " + repo + " needs a ModelScope token (HTTP " + c
                    + "): pass --token or set MODELSCOPE_API_TOKEN (get one at https://modelscope.cn/my/myaccesstoken)");
            return new HubException(c, "the hub refused the token for " + repo + " (HTTP " + c
                    + "): check --token / MODELSCOPE_API_TOKEN at https://modelscope.cn/my/myaccesstoken");
        }
        return new HubException(c, "HTTP " + c + " " + r.message() + " from " + r.request().url()
                + (rid == null ? "" : " (request id " + rid + ")"));
    }

    public void close() {
        http.dispatcher().cancelAll();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }
}
