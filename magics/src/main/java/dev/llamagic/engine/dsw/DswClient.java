package dev.llamagic.engine.dsw;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.tea.TeaException;
import com.aliyun.tea.TeaUnretryableException;
import com.aliyun.teaopenapi.models.Config;
import com.aliyun.teaopenapi.models.OpenApiRequest;
import com.aliyun.teaopenapi.models.Params;
import com.aliyun.teautil.models.RuntimeOptions;
import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import dev.llamagic.core.Version;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PAI-DSW API (version 2022-01-01, ROA style, AccessKey signature ACS3-HMAC-SHA256, JSON bodies) through
 * Alibaba Cloud's SDK core {@code tea-openapi}, called exactly as the generated {@code pai_dsw20220101} client
 * calls it: {@code Client.callApi(Params, OpenApiRequest, RuntimeOptions)} with the operation's action, pathname
 * and method. Connect and read timeouts are bounded, there are no silent retries, and every failure becomes one
 * line ({@link UserError}) naming the request id.
 *
 * <p>From a cell: {@code var dsw = DswClient.connect(dev.llamagic.kernel.Cell.context()); dsw.instance()}.
 */
public final class DswClient {
    public static final String VERSION = "2022-01-01";

    static {
        DswCredentials.quietSdkLogging();
    }
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

    private final com.aliyun.teaopenapi.Client api;
    private final DswSettings settings;
    private final String source;

    private DswClient(com.aliyun.teaopenapi.Client api, DswSettings settings, String source) {
        this.api = api;
        this.settings = settings;
        this.source = source;
    }

    /** The instance this notebook runs in (DSW_INSTANCE_ID, REGION, ...), credentials from the standard chain. */
    public static DswClient connect(Context ctx) {
        return connect(ctx, DswSettings.fromEnv(ctx.env()));
    }

    /**
     * A client for {@code settings}. Fails with one line when no region/endpoint is known or no credentials are found;
     * error lines do not name the magic (its layer does).
     */
    public static DswClient connect(Context ctx, DswSettings settings) {
        if (settings.endpoint() == null && settings.instanceId() == null) {
            throw new UserError("not inside a PAI-DSW instance (neither DSW_INSTANCE_ID nor REGION is set)").hint("dsw-outside");
        }
        if (settings.endpoint() == null) {
            throw new UserError("no region known: set REGION (e.g. cn-hangzhou, as PAI-DSW does inside an instance)")
                    .hint("dsw-region");
        }
        DswCredentials credentials = DswCredentials.find(ctx);
        return connect(settings, credentials);
    }

    static DswClient connect(DswSettings settings, DswCredentials credentials) {
        try {
            Config config = new Config()
                    .setCredential(credentials.client())
                    .setEndpoint(settings.endpoint())
                    .setProtocol(settings.protocol())
                    .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis())
                    .setReadTimeout((int) READ_TIMEOUT.toMillis())
                    .setUserAgent("llamagic/" + Version.llamagic());
            if (settings.region() != null) config.setRegionId(settings.region());
            return new DswClient(new com.aliyun.teaopenapi.Client(config), settings, credentials.source());
        } catch (Exception e) {
            throw new UserError("cannot set up the DSW client: " + e.getClass().getSimpleName(), e);
        }
    }

    public DswSettings settings() {
        return settings;
    }

    /** Where the credentials came from. */
    public String credentialSource() {
        return source;
    }

    // ---- operations (paths, methods and fields as in the API reference for 2022-01-01) ----

    /** GetInstance: {@code GET /api/v2/instances/{InstanceId}}. */
    public DswInstance instance() {
        return DswInstance.from(Fields.require("GetInstance", call("GetInstance", "GET", instancePath(""), null, null),
                "InstanceId", "Status"));
    }

    /** ListInstances: {@code GET /api/v2/instances}, every page, in the workspace when one is known. */
    public List<DswInstance> instances() {
        List<DswInstance> all = new ArrayList<>();
        for (int page = 1; page <= 50; page++) {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("PageNumber", Integer.toString(page));
            q.put("PageSize", "100");
            if (settings.workspaceId() != null) q.put("WorkspaceId", settings.workspaceId());
            Map<String, ?> body = call("ListInstances", "GET", "/api/v2/instances", q, null);
            List<Map<String, ?>> items = Fields.requireList("ListInstances", body, "Instances", "InstanceId");
            items.forEach(m -> all.add(DswInstance.from(m)));
            Long total = Fields.num(body, "TotalCount");
            if (items.isEmpty() || total == null || all.size() >= total) break;
        }
        return all;
    }

    /**
     * CreateInstanceSnapshot: {@code POST /api/v2/instances/{InstanceId}/snapshots}; returns the SnapshotId.
     * {@code name}: lower-case letters, digits and '-'; {@code imageUrl}: the registry address to push to (null: the
     * service's default); {@code excludePaths}: files and folders left out of the image.
     */
    public String createSnapshot(String name, String imageUrl, List<String> excludePaths, boolean overwrite,
                                 String description) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (name != null) body.put("SnapshotName", name);
        if (description != null) body.put("SnapshotDescription", description);
        if (imageUrl != null) body.put("ImageUrl", imageUrl);
        if (excludePaths != null && !excludePaths.isEmpty()) body.put("ExcludePaths", new ArrayList<>(excludePaths));
        if (overwrite) body.put("Overwrite", true);
        Map<String, ?> answer = call("CreateInstanceSnapshot", "POST", instancePath("/snapshots"), null, body);
        String id = Fields.str(answer, "SnapshotId");
        if (id == null) throw new UserError("the DSW API accepted the snapshot but returned no SnapshotId"
                + requestId(answer));
        return id;
    }

    /** GetInstanceSnapshot: {@code GET /api/v2/instances/{InstanceId}/snapshots/{SnapshotId}}. */
    public DswSnapshot snapshot(String snapshotId) {
        return DswSnapshot.from(Fields.require("GetInstanceSnapshot", call("GetInstanceSnapshot", "GET",
                instancePath("/snapshots/" + encode(snapshotId)), null, null), "SnapshotId", "Status"));
    }

    /** ListInstanceSnapshot: {@code GET /api/v2/instances/{InstanceId}/snapshots}, newest first. */
    public List<DswSnapshot> snapshots() {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("PageNumber", "1");
        q.put("PageSize", "100");
        q.put("SortBy", "GmtCreateTime");
        q.put("Order", "DESC");
        Map<String, ?> body = call("ListInstanceSnapshot", "GET", instancePath("/snapshots"), q, null);
        return Fields.requireList("ListInstanceSnapshot", body, "Snapshots", "SnapshotId").stream()
                .map(DswSnapshot::from).toList();
    }

    /** StopInstance: {@code PUT /api/v2/instances/{InstanceId}/stop?SaveImage=...}; returns the request id. */
    public String stop(boolean saveImage) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("SaveImage", Boolean.toString(saveImage));
        return Fields.str(call("StopInstance", "PUT", instancePath("/stop"), q, null), "RequestId");
    }

    /** GetInstanceShutdownTimer: {@code GET /api/v2/instances/{InstanceId}/shutdowntimer}; null when none is set. */
    public DswTimer timer() {
        try {
            Map<String, ?> body = call("GetInstanceShutdownTimer", "GET", instancePath("/shutdowntimer"), null, null);
            if (Fields.str(body, "InstanceId") == null && Fields.str(body, "DueTime") == null
                    && Fields.num(body, "RemainingTimeInMs") == null) {
                throw Fields.unexpected("GetInstanceShutdownTimer", "without InstanceId/DueTime/RemainingTimeInMs", body);
            }
            return DswTimer.from(body);
        } catch (ApiFailure e) {
            // no timer set answers "not found" for the timer, not for the instance: GetInstance tells them apart
            if (e.error.kind() == DswApiError.Kind.NOT_FOUND) return instance().timer();
            throw e;
        }
    }

    /** CreateInstanceShutdownTimer: {@code POST /api/v2/instances/{InstanceId}/shutdowntimer} with RemainingTimeInMs. */
    public void setTimer(Duration in) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("RemainingTimeInMs", in.toMillis());
        call("CreateInstanceShutdownTimer", "POST", instancePath("/shutdowntimer"), null, body);
    }

    /** DeleteInstanceShutdownTimer: {@code DELETE /api/v2/instances/{InstanceId}/shutdowntimer}. */
    public void cancelTimer() {
        call("DeleteInstanceShutdownTimer", "DELETE", instancePath("/shutdowntimer"), null, null);
    }

    // ---- the call ----

    /** An API error answer, as a {@link UserError} whose line the command shows; {@link #error} for callers. */
    public static final class ApiFailure extends UserError {
        public final DswApiError error;

        ApiFailure(String line, DswApiError error, Throwable cause) {
            super(line, cause);
            this.error = error;
        }
    }

    private String instancePath(String rest) {
        if (settings.instanceId() == null) {
            throw new UserError("no DSW instance id: set DSW_INSTANCE_ID (PAI-DSW sets it inside an instance)")
                    .hint("dsw-instance");
        }
        return "/api/v2/instances/" + encode(settings.instanceId()) + rest;
    }

    private static String encode(String s) {
        try {
            return com.aliyun.openapiutil.Client.getEncodeParam(s);
        } catch (IOException e) {
            throw new IllegalArgumentException(s);
        }
    }

    private static String requestId(Map<String, ?> body) {
        String rid = Fields.str(body, "RequestId");
        return rid == null ? "" : "; request id " + rid;
    }

    /** One API call; returns the answer's JSON body. */
    Map<String, ?> call(String action, String method, String pathname, Map<String, String> query,
                        Map<String, Object> body) {
        Params params = new Params()
                .setAction(action)
                .setVersion(VERSION)
                .setProtocol("HTTPS")
                .setPathname(pathname)
                .setMethod(method)
                .setAuthType("AK")
                .setStyle("ROA")
                .setReqBodyType("json")
                .setBodyType("json");
        OpenApiRequest request = new OpenApiRequest().setHeaders(new HashMap<>());
        if (query != null && !query.isEmpty()) request.setQuery(new HashMap<>(query));
        if (body != null) request.setBody(com.aliyun.openapiutil.Client.parseToMap(body));
        RuntimeOptions runtime = new RuntimeOptions();
        runtime.autoretry = false;
        runtime.connectTimeout = (int) CONNECT_TIMEOUT.toMillis();
        runtime.readTimeout = (int) READ_TIMEOUT.toMillis();
        try {
            Map<String, ?> answer = api.callApi(params, request, runtime);
            Object b = answer == null ? null : answer.get("body");
            Map<String, Object> m = new LinkedHashMap<>();
            if (b instanceof Map<?, ?> map) map.forEach((k, v) -> m.put(String.valueOf(k), v));
            Object headers = answer == null ? null : answer.get("headers");
            if (Fields.str(m, "RequestId") == null && headers instanceof Map<?, ?> h && h.get("x-acs-request-id") != null) {
                m.put("RequestId", h.get("x-acs-request-id"));
            }
            return m;
        } catch (TeaException e) {
            if (e.getData() == null && e.getStatusCode() == null && "InvalidCredentials".equals(e.getCode())) {
                throw new UserError("no Alibaba Cloud credentials to sign with");
            }
            DswApiError err = DswApiError.from(action, e.getStatusCode(), e.getCode(), e.getData());
            throw new ApiFailure(err.describe(settings.instanceId(), settings.region(), source), err, e);
        } catch (TeaUnretryableException e) {
            throw unreachable(e.getCause());
        } catch (CredentialException e) {
            throw new UserError("the credentials from " + source + " failed: "
                    + DswCredentials.redact(e.getMessage()));
        } catch (UserError e) {
            throw e;
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            if (root instanceof IOException io) throw unreachable(io);
            if (root.getClass().getSimpleName().equals("TeaUtilException")) {
                // the SDK reads the body as a JSON object; an array, a string or a number fails there
                throw new UserError("the DSW API answered " + action + " with something other than a JSON object:"
                        + " unexpected response shape", e);
            }
            throw new UserError(action + " failed: the answer from " + settings.endpoint()
                    + " was not what the DSW API sends (" + root.getClass().getSimpleName() + ")", e);
        }
    }

    /** The API could not be reached; the hint lets the magic name its options for the endpoint and region. */
    private UserError unreachable(Throwable cause) {
        String where = settings.endpoint();
        while (cause != null && cause.getCause() != null && cause.getCause() != cause
                && !(cause instanceof IOException)) {
            cause = cause.getCause();
        }
        if (cause instanceof SocketTimeoutException || cause instanceof InterruptedIOException) {
            return new UserError("no answer from " + where + " within " + READ_TIMEOUT.toSeconds() + " s; try again", cause)
                    .hint("dsw-endpoint");
        }
        if (cause instanceof UnknownHostException) {
            return new UserError("cannot resolve " + where + ": no network to Alibaba Cloud here", cause).hint("dsw-region-endpoint");
        }
        if (cause instanceof ConnectException) {
            return new UserError("cannot connect to " + where + ": no network to Alibaba Cloud here", cause).hint("dsw-region-endpoint");
        }
        String why = cause == null ? "" : cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + DswCredentials.redact(cause.getMessage()));
        return new UserError("cannot reach " + where + " (" + why + ")", cause);
    }
}
