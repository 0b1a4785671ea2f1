package dev.llamagic.engine.eas;

import java.time.Duration;
import java.util.Locale;
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
        region = blankToNull(region);
        workspaceId = blankToNull(workspaceId);
        endpoint = blankToNull(endpoint);
        protocol = protocol == null || protocol.isBlank() ? "HTTPS" : protocol.trim().toUpperCase(Locale.ROOT);
        if (!protocol.equals("HTTPS") && !protocol.equals("HTTP")) {
            throw new IllegalArgumentException("protocol must be https or http, not '" + protocol.toLowerCase(Locale.ROOT) + "'");
        }
        if (firstRetry == null || firstRetry.isNegative()) firstRetry = Duration.ofSeconds(1);
    }

    public static EasSettings fromEnv(Map<String, String> env) {
        return resolve(env, null, null, null, null);
    }

    /** Options win over the environment; a null option falls back to it. */
    public static EasSettings resolve(Map<String, String> env, String region, String workspace, String endpoint,
                                      String protocol) {
        String reg = first(region, env.get("REGION"), env.get("dsw_region"), env.get("ALIBABA_CLOUD_REGION_ID"));
        String ws = first(workspace, env.get("PAI_WORKSPACE_ID"), env.get("PAI_AI_WORKSPACE_ID"));
        String ep = first(endpoint, env.get(ENDPOINT_ENV));
        if (ep == null && reg != null) ep = "pai-eas." + reg + ".aliyuncs.com";
        Duration retry = Duration.ofSeconds(1);
        String r = env.get(RETRY_ENV);
        if (r != null && r.matches("\\d{1,6}")) retry = Duration.ofMillis(Long.parseLong(r));
        return new EasSettings(reg, ws, ep, first(protocol, env.get(PROTOCOL_ENV)), retry);
    }

    private static String first(String... values) {
        for (String v : values) if (v != null && !v.isBlank()) return v.trim();
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
