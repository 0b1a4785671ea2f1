package dev.llamagic.engine.eas;

import java.time.Duration;
import dev.llamagic.engine.aliyun.ApiSettings;
import java.util.Map;

/**
 * Where the EAS API is: the region (EAS's ClusterId in every service path), the workspace, the endpoint and
 * protocol, from options first, then the environment PAI-DSW sets ({@code REGION}, {@code PAI_WORKSPACE_ID}), the
 * same variables {@code DswSettings} reads. {@code LLAMAGIC_EAS_ENDPOINT} / {@code LLAMAGIC_EAS_PROTOCOL} point the
 * client elsewhere (a local test server); {@code LLAMAGIC_EAS_RETRY_MS} is the first wait after throttling.
 */
public record EasSettings(String region, String workspaceId, String endpoint, String protocol, Duration firstRetry) {

    public static final String ENDPOINT_ENV = "LLAMAGIC_EAS_ENDPOINT";
    public static final String PROTOCOL_ENV = "LLAMAGIC_EAS_PROTOCOL";
    public static final String RETRY_ENV = "LLAMAGIC_EAS_RETRY_MS";

    public EasSettings {
        region = ApiSettings.blankToNull(region);
        workspaceId = ApiSettings.blankToNull(workspaceId);
        endpoint = ApiSettings.blankToNull(endpoint);
        protocol = ApiSettings.protocol(protocol);
        if (firstRetry == null || firstRetry.isNegative()) firstRetry = Duration.ofSeconds(1);
    }

    public static EasSettings fromEnv(Map<String, String> env) {
        return resolve(env, null, null, null, null);
    }

    /** Options win over the environment; a null option falls back to it. */
    public static EasSettings resolve(Map<String, String> env, String region, String workspace, String endpoint,
                                      String protocol) {
        String reg = ApiSettings.region(region, env);
        String ws = ApiSettings.workspace(workspace, env);
        String ep = ApiSettings.first(endpoint, env.get(ENDPOINT_ENV));
        if (ep == null && reg != null) ep = "pai-eas." + reg + ".aliyuncs.com";
        Duration retry = Duration.ofSeconds(1);
        String r = env.get(RETRY_ENV);
        if (r != null && r.matches("\\d{1,6}")) retry = Duration.ofMillis(Long.parseLong(r));
        return new EasSettings(reg, ws, ep, ApiSettings.first(protocol, env.get(PROTOCOL_ENV)), retry);
    }
}
