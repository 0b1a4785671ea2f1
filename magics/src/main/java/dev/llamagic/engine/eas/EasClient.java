package dev.llamagic.engine.eas;

import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.aliyun.Polling;
import dev.llamagic.engine.aliyun.RoaApi;
import dev.llamagic.engine.aliyun.AliyunCredentials;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PAI-EAS API (version 2021-07-01, ROA style, ACS3-HMAC-SHA256 AccessKey signature, JSON bodies) through the SDK
 * core {@code tea-openapi} and the credential chain of {@link AliyunCredentials}, called as the generated
 * {@code com.aliyun.eas20210701.Client} calls it (that artifact is not on Maven Central for us): {@code callApi}
 * with the operation's action, pathname and method. ClusterId in the paths is the region id.
 *
 * <pre>
 * operation                 method  path                                            answer (fields read)
 * CreateService             POST    /api/v2/services                                ServiceName ServiceId Status Region
 *                                   body: the service JSON                          InternetEndpoint IntranetEndpoint
 * DescribeService           GET     /api/v2/services/{ClusterId}/{ServiceName}      the Service model: ServiceName Status
 *                                                                                   Reason Message RunningInstance
 *                                                                                   TotalInstance PendingInstance
 *                                                                                   InternetEndpoint IntranetEndpoint
 *                                                                                   AccessToken Image CreateTime ...
 * ListServices              GET     /api/v2/services?PageNumber&amp;PageSize       Services[] TotalCount PageNumber
 * UpdateService             PUT     /api/v2/services/{c}/{s}                        body {"metadata":{"instance":N}}
 * CreateServiceAutoScaler   POST    /api/v2/services/{c}/{s}/autoscaler             body {"min","max","scaleStrategies":
 * UpdateServiceAutoScaler   PUT     /api/v2/services/{c}/{s}/autoscaler             [{"metricName":"qps","threshold"}]}
 * DescribeServiceLog        GET     /api/v2/services/{c}/{s}/logs?PageNum&amp;PageSize  Logs[] TotalCount
 * StartService, StopService PUT     /api/v2/services/{c}/{s}/start, /stop
 * DeleteService             DELETE  /api/v2/services/{c}/{s}
 * </pre>
 * Errors answer {@code Code}, {@code Message}, {@code RequestId} (403: {@code AccessDeniedDetail.AuthAction}). RAM
 * actions are {@code eas:<Operation>}. Throttled calls are retried 3 times (waiting 1, 2, 4 s) before one line.
 *
 * <p>From a cell: {@code var eas = EasClient.connect(dev.llamagic.kernel.Cell.context()); eas.services()}.
 */
public final class EasClient {
    public static final String VERSION = "2021-07-01";
    public static final Duration CONNECT_TIMEOUT = RoaApi.CONNECT_TIMEOUT;
    public static final Duration READ_TIMEOUT = RoaApi.READ_TIMEOUT;
    public static final int RETRIES = 3;

    static {
        AliyunCredentials.quietSdkLogging();
    }

    private final RoaApi api;
    private final EasSettings settings;
    private final String source;
    private final Context ctx;

    private EasClient(RoaApi api, EasSettings settings, String source, Context ctx) {
        this.api = api;
        this.settings = settings;
        this.source = source;
        this.ctx = ctx;
    }

    public static EasClient connect(Context ctx) {
        return connect(ctx, EasSettings.fromEnv(ctx.env()));
    }

    /** A client for {@code settings}; one line when no region is known or no credentials are found. */
    public static EasClient connect(Context ctx, EasSettings settings) {
        if (settings.region() == null) {
            throw new UserError("no region known: set REGION (e.g. cn-hangzhou, as PAI-DSW does inside an instance)")
                    .hint("eas-region");
        }
        AliyunCredentials credentials = AliyunCredentials.find(ctx);
        RoaApi api = RoaApi.create(new RoaApi.Target("EAS", VERSION, settings.endpoint(), settings.protocol(),
                settings.region(), "eas-endpoint", "eas-endpoint"), credentials.client(), credentials.source(),
                AliyunCredentials::redact);
        return new EasClient(api, settings, credentials.source(), ctx);
    }

    public EasSettings settings() {
        return settings;
    }

    public String credentialSource() {
        return source;
    }

    // ---- operations

    /** CreateService; returns what the answer says of the new service (Status usually Creating). */
    public EasService create(ServiceSpec spec) {
        Map<String, String> q = new LinkedHashMap<>();
        if (settings.workspaceId() != null) q.put("WorkspaceId", settings.workspaceId());
        Map<String, ?> answer = call("CreateService", "POST", "/api/v2/services", q, spec.json(), spec.name());
        return EasService.from(Json.require("CreateService", answer, "ServiceName"));
    }

    /** DescribeService. */
    public EasService service(String name) {
        return EasService.from(Json.require("DescribeService", call("DescribeService", "GET", path(name, ""), null, null, name),
                "ServiceName", "Status"));
    }

    /** The endpoint and token of a service, for requests to it: the public endpoint, else the VPC one. */
    public EasAccess access(String name) {
        Map<String, ?> m = Json.require("DescribeService", call("DescribeService", "GET", path(name, ""), null, null, name),
                "ServiceName", "Status");
        EasService s = EasService.from(m);
        String url = s.internetEndpoint() != null ? s.internetEndpoint() : s.intranetEndpoint();
        if (url == null) {
            throw new UserError("service " + name + " has no endpoint yet (status " + s.status() + ")");
        }
        return new EasAccess(name, url, Json.str(m, "AccessToken"));
    }

    /** ListServices, every page (in the workspace when one is known). */
    public List<EasService> services() {
        List<EasService> all = new ArrayList<>();
        for (int page = 1; page <= 50; page++) {
            Map<String, String> q = new LinkedHashMap<>();
            q.put("PageNumber", Integer.toString(page));
            q.put("PageSize", "100");
            if (settings.workspaceId() != null) q.put("WorkspaceId", settings.workspaceId());
            Map<String, ?> body = call("ListServices", "GET", "/api/v2/services", q, null, null);
            List<Map<String, ?>> items = Json.requireList("ListServices", body, "Services", "ServiceName");
            items.forEach(m -> all.add(EasService.from(m)));
            Integer total = Json.num(body, "TotalCount");
            if (items.isEmpty() || total == null || all.size() >= total) break;
        }
        return all;
    }

    /** UpdateService with only the instance count. */
    public void scale(String name, int instances) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("instance", instances);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("metadata", metadata);
        call("UpdateService", "PUT", path(name, ""), null, body, name);
    }

    /** UpdateServiceAutoScaler, or CreateServiceAutoScaler when the service has none yet. */
    public void autoscale(String name, int min, int max, double qps) {
        Map<String, Object> body = ServiceSpec.autoscaler(min, max, qps);
        try {
            call("UpdateServiceAutoScaler", "PUT", path(name, "/autoscaler"), null, body, name);
        } catch (ApiFailure e) {
            if (e.error.kind() != EasApiError.Kind.NOT_FOUND) throw e;
            call("CreateServiceAutoScaler", "POST", path(name, "/autoscaler"), null, body, name);
        }
    }

    /** DescribeServiceLog: the last page of up to {@code lines} lines. */
    public List<String> logs(String name, int lines) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("PageNum", "1");
        q.put("PageSize", Integer.toString(lines));
        return Json.strings(call("DescribeServiceLog", "GET", path(name, "/logs"), q, null, name), "Logs");
    }

    public void start(String name) {
        call("StartService", "PUT", path(name, "/start"), null, null, name);
    }

    public void stop(String name) {
        call("StopService", "PUT", path(name, "/stop"), null, null, name);
    }

    public void delete(String name) {
        call("DeleteService", "DELETE", path(name, ""), null, null, name);
    }

    // ---- the call

    /** An API error answer as one line; {@link #error} for callers that tell kinds apart. */
    public static final class ApiFailure extends UserError {
        public final EasApiError error;
        public final String service;

        ApiFailure(String line, EasApiError error, String service, Throwable cause) {
            super(line, cause);
            this.error = error;
            this.service = service;
        }
    }

    private String path(String service, String rest) {
        return "/api/v2/services/" + encode(settings.region()) + "/" + encode(service) + rest;
    }

    private static String encode(String s) {
        try {
            return com.aliyun.openapiutil.Client.getEncodeParam(s);
        } catch (IOException e) {
            throw new IllegalArgumentException(s);
        }
    }

    /** One call, retried after throttling; returns the answer's JSON body. */
    Map<String, ?> call(String action, String method, String pathname, Map<String, String> query, Object body,
                        String service) {
        Duration wait = settings.firstRetry();
        long waited = 0;
        for (int attempt = 0; ; attempt++) {
            try {
                return once(action, method, pathname, query, body, service);
            } catch (ApiFailure e) {
                if (e.error.kind() != EasApiError.Kind.THROTTLED || attempt >= RETRIES) {
                    if (e.error.kind() == EasApiError.Kind.THROTTLED) {
                        throw new ApiFailure("the EAS API is still throttling requests after " + (attempt + 1)
                                + " tries over " + waited / 1000.0 + " s (" + (e.error.status() > 0 ? "HTTP "
                                + e.error.status() + " " : "") + e.error.code() + "): wait a minute and run it again"
                                + (e.error.requestId() != null ? "; request id " + e.error.requestId() : ""),
                                e.error, service, e);
                    }
                    throw e;
                }
                sleep(wait);
                waited += wait.toMillis();
                wait = wait.multipliedBy(2);
            }
        }
    }

    private void sleep(Duration d) {
        Polling.sleep(ctx, d);
    }

    private Map<String, ?> once(String action, String method, String pathname, Map<String, String> query, Object body,
                                String service) {
        return api.call(action, method, pathname, query, body, e -> {
            EasApiError err = EasApiError.from(action, e.getStatusCode(), e.getCode(), e.getData());
            return new ApiFailure(err.describe(service == null ? null : "service " + service, settings.region(), source),
                    err, service, e);
        });
    }
}
