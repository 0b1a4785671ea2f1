package dev.llamagic.engine.dsw;

import dev.llamagic.engine.aliyun.ApiSettings;
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
        instanceId = ApiSettings.blankToNull(instanceId);
        region = ApiSettings.blankToNull(region);
        workspaceId = ApiSettings.blankToNull(workspaceId);
        endpoint = ApiSettings.blankToNull(endpoint);
        protocol = ApiSettings.protocol(protocol);
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
        String id = ApiSettings.first(instance, env.get("DSW_INSTANCE_ID"));
        String reg = ApiSettings.region(region, env);
        String ws = ApiSettings.workspace(workspace, env);
        String ep = ApiSettings.first(endpoint, env.get(ENDPOINT_ENV));
        if (ep == null && reg != null) ep = defaultEndpoint(reg, vpc);
        String proto = ApiSettings.first(protocol, env.get(PROTOCOL_ENV));
        return new DswSettings(id, reg, ws, ep, proto);
    }

    public static String defaultEndpoint(String region, boolean vpc) {
        return (vpc ? "pai-dsw-vpc." : "pai-dsw.") + region + ".aliyuncs.com";
    }

    public DswSettings withInstance(String id) {
        return new DswSettings(id, region, workspaceId, endpoint, protocol);
    }

}
