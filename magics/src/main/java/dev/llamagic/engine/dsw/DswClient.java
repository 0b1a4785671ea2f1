package dev.llamagic.engine.dsw;

import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.aliyun.AliyunCredentials;
import dev.llamagic.engine.aliyun.RoaApi;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
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
        AliyunCredentials.quietSdkLogging();
    }
    public static final Duration CONNECT_TIMEOUT = RoaApi.CONNECT_TIMEOUT;
    public static final Duration READ_TIMEOUT = RoaApi.READ_TIMEOUT;

    private final RoaApi api;
    private final DswSettings settings;
    private final String source;

    private DswClient(RoaApi api, DswSettings settings, String source) {
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
        AliyunCredentials credentials = AliyunCredentials.find(ctx);
        return connect(settings, credentials);
    }

    static DswClient connect(DswSettings settings, AliyunCredentials credentials) {
        RoaApi api = RoaApi.create(new RoaApi.Target("DSW", VERSION, settings.endpoint(), settings.protocol(),
                settings.region(), "dsw-endpoint", "dsw-region-endpoint"), credentials.client(), credentials.source(),
                AliyunCredentials::redact);
        return new DswClient(api, settings, credentials.source());
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
        return api.call(action, method, pathname, query, body, e -> {
            DswApiError err = DswApiError.from(action, e.getStatusCode(), e.getCode(), e.getData());
            return new ApiFailure(err.describe(settings.instanceId(), settings.region(), source), err, e);
        });
    }
}
