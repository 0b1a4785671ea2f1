package dev.llamagic.engine.aliyun;

import com.aliyun.credentials.exception.CredentialException;
import com.aliyun.tea.TeaException;
import com.aliyun.tea.TeaUnretryableException;
import com.aliyun.teaopenapi.models.Config;
import com.aliyun.teaopenapi.models.OpenApiRequest;
import com.aliyun.teaopenapi.models.Params;
import com.aliyun.teautil.models.RuntimeOptions;
import dev.llamagic.core.UserError;
import dev.llamagic.core.Version;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One Alibaba Cloud ROA API (EAS, DSW) through the SDK core {@code tea-openapi}, called as the generated clients call
 * it: {@code callApi(Params, OpenApiRequest, RuntimeOptions)} with AccessKey signature and JSON bodies, bounded
 * timeouts and no silent retries. Every failure becomes one line ({@link UserError}); error answers go to the
 * caller's mapping, unreachable endpoints carry the caller's hint keys.
 */
public final class RoaApi {
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

    /** Where the API is and how it is named in lines and hints. */
    public record Target(String name, String version, String endpoint, String protocol, String region,
                         String timeoutHint, String unreachableHint) {}

    private final com.aliyun.teaopenapi.Client api;
    private final Target target;
    private final String source;
    private final UnaryOperator<String> redact;

    private RoaApi(com.aliyun.teaopenapi.Client api, Target target, String source, UnaryOperator<String> redact) {
        this.api = api;
        this.target = target;
        this.source = source;
        this.redact = redact;
    }

    /**
     * A client signing with {@code credential} (found in {@code source}); {@code redact} shortens SDK messages that
     * may carry secrets.
     */
    public static RoaApi create(Target target, com.aliyun.credentials.Client credential, String source,
            UnaryOperator<String> redact) {
        try {
            Config config = new Config()
                    .setCredential(credential)
                    .setEndpoint(target.endpoint())
                    .setProtocol(target.protocol())
                    .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis())
                    .setReadTimeout((int) READ_TIMEOUT.toMillis())
                    .setUserAgent("llamagic/" + Version.llamagic());
            if (target.region() != null) config.setRegionId(target.region());
            return new RoaApi(new com.aliyun.teaopenapi.Client(config), target, source, redact);
        } catch (Exception e) {
            throw new UserError("cannot set up the " + target.name() + " client: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Where the credentials came from. */
    public String source() {
        return source;
    }

    /**
     * One call; returns the answer's JSON body (with {@code RequestId} from the header when the body lacks it). An
     * error answer becomes {@code onError}'s line.
     */
    public Map<String, ?> call(String action, String method, String pathname, Map<String, String> query, Object body,
            Function<TeaException, UserError> onError) {
        Params params = new Params()
                .setAction(action)
                .setVersion(target.version())
                .setProtocol("HTTPS")
                .setPathname(pathname)
                .setMethod(method)
                .setAuthType("AK")
                .setStyle("ROA")
                .setReqBodyType("json")
                .setBodyType("json");
        OpenApiRequest request = new OpenApiRequest().setHeaders(new HashMap<>());
        if (query != null && !query.isEmpty()) request.setQuery(new HashMap<>(query));
        if (body != null) request.setBody(body instanceof Map<?, ?> m ? com.aliyun.openapiutil.Client.parseToMap(m) : body);
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
            if (ApiJson.str(m, "RequestId") == null && headers instanceof Map<?, ?> h && h.get("x-acs-request-id") != null) {
                m.put("RequestId", h.get("x-acs-request-id"));
            }
            return m;
        } catch (TeaException e) {
            if (e.getData() == null && e.getStatusCode() == null && "InvalidCredentials".equals(e.getCode())) {
                throw new UserError("no Alibaba Cloud credentials to sign with");
            }
            throw onError.apply(e);
        } catch (TeaUnretryableException e) {
            throw unreachable(e.getCause());
        } catch (CredentialException e) {
            throw new UserError("the credentials from " + source + " failed: " + redact.apply(e.getMessage()));
        } catch (UserError e) {
            throw e;
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            if (root instanceof IOException io) throw unreachable(io);
            if (root.getClass().getSimpleName().equals("TeaUtilException")) {
                // the SDK reads the body as a JSON object; an array, a string or a number fails there
                throw new UserError("the " + target.name() + " API answered " + action
                        + " with something other than a JSON object: unexpected response shape", e);
            }
            throw new UserError(action + " failed: the answer from " + target.endpoint() + " was not what the "
                    + target.name() + " API sends (" + root.getClass().getSimpleName() + ")", e);
        }
    }

    /** The API could not be reached; the hints let the magic name its options for the endpoint and region. */
    private UserError unreachable(Throwable cause) {
        String where = target.endpoint();
        while (cause != null && cause.getCause() != null && cause.getCause() != cause && !(cause instanceof IOException)) {
            cause = cause.getCause();
        }
        if (cause instanceof SocketTimeoutException || cause instanceof InterruptedIOException) {
            return new UserError("no answer from " + where + " within " + READ_TIMEOUT.toSeconds() + " s; try again", cause)
                    .hint(target.timeoutHint());
        }
        if (cause instanceof UnknownHostException) {
            return new UserError("cannot resolve " + where + ": no network to Alibaba Cloud here", cause)
                    .hint(target.unreachableHint());
        }
        if (cause instanceof ConnectException) {
            return new UserError("cannot connect to " + where + ": no network to Alibaba Cloud here", cause)
                    .hint(target.unreachableHint());
        }
        String why = cause == null ? "" : cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + redact.apply(cause.getMessage()));
        return new UserError("cannot reach " + where + " (" + why + ")", cause);
    }
}
