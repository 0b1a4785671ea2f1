package dev.llamagic.engine.dsw;

import java.util.Map;

/**
 * Where the PAI-DSW API is and which instance is meant: the instance id, region, workspace and endpoint, from
 * options first, then the environment PAI-DSW sets inside an instance ({@code DSW_INSTANCE_ID}, {@code REGION} or
 * the legacy {@code dsw_region}, {@code PAI_WORKSPACE_ID} / {@code PAI_AI_WORKSPACE_ID}), the variables Alibaba's
 * own Python SDK reads. {@code LLAMAGIC_DSW_ENDPOINT} and {@code LLAMAGIC_DSW_PROTOCOL} point the client elsewhere
 * (a VPC endpoint, or a local test server).
 */
public record DswSettings(String instanceId, String region, String workspaceId, String endpoint, String protocol) {

    public static final String ENDPOINT_ENV = "LLAMAGIC_DSW_ENDPOINT";
    public static final String PROTOCOL_ENV = "LLAMAGIC_DSW_PROTOCOL";

    public DswSettings {
        instanceId = blankToNull(instanceId);
        region = blankToNull(region);
        workspaceId = blankToNull(workspaceId);
        endpoint = blankToNull(endpoint);
        protocol = protocol == null || protocol.isBlank() ? "HTTPS" : protocol.trim().toUpperCase(java.util.Locale.ROOT);
        if (!protocol.equals("HTTPS") && !protocol.equals("HTTP")) {
            throw new IllegalArgumentException("protocol must be https or http, not '" + protocol.toLowerCase(java.util.Locale.ROOT) + "'");
        }
    }

    /** From the environment alone. */
    public static DswSettings fromEnv(Map<String, String> env) {
        return resolve(env, null, null, null, null, null, false);
    }

    /**
     * Options win over the environment; a null option falls back to it. With {@code vpc} and no explicit endpoint,
     * the VPC endpoint {@code pai-dsw-vpc.<region>.aliyuncs.com} is used.
     */
    public static DswSettings resolve(Map<String, String> env, String instance, String region, String workspace,
                                      String endpoint, String protocol, boolean vpc) {
        String id = first(instance, env.get("DSW_INSTANCE_ID"));
        String reg = first(region, env.get("REGION"), env.get("dsw_region"), env.get("ALIBABA_CLOUD_REGION_ID"));
        String ws = first(workspace, env.get("PAI_WORKSPACE_ID"), env.get("PAI_AI_WORKSPACE_ID"));
        String ep = first(endpoint, env.get(ENDPOINT_ENV));
        if (ep == null && reg != null) ep = defaultEndpoint(reg, vpc);
        String proto = first(protocol, env.get(PROTOCOL_ENV));
        return new DswSettings(id, reg, ws, ep, proto);
    }

    public static String defaultEndpoint(String region, boolean vpc) {
        return (vpc ? "pai-dsw-vpc." : "pai-dsw.") + region + ".aliyuncs.com";
    }

    public DswSettings withInstance(String id) {
        return new DswSettings(id, region, workspaceId, endpoint, protocol);
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) return v.trim();
        }
        return null;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
