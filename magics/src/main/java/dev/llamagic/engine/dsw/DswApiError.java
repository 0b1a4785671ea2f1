package dev.llamagic.engine.dsw;

import dev.llamagic.engine.aliyun.ApiErrors;
import java.util.Map;

/**
 * An error answer of the DSW API, and the one line a user reads for it: access denied (with the RAM action to
 * grant), the instance not found, throttling, bad credentials, or anything else with its code, always with the
 * request id Alibaba Cloud support asks for. The shared parts are in {@link ApiErrors}.
 */
public record DswApiError(String action, int status, String code, String message, String requestId, String authAction) {

    /** From tea-openapi's error data: the answer's JSON fields plus {@code statusCode}. */
    public static DswApiError from(String action, Integer status, String code, Map<String, ?> data) {
        ApiErrors.Fields f = ApiErrors.parse(status, code, data);
        return new DswApiError(action, f.status(), f.code(), f.message(), f.requestId(), f.authAction());
    }

    public enum Kind { ACCESS_DENIED, BAD_CREDENTIALS, NOT_FOUND, THROTTLED, OTHER }

    public Kind kind() {
        return Kind.valueOf(ApiErrors.kind(status, code, false).name());
    }

    /** The RAM action the caller needs: the one the answer names, else {@code paidsw:<Action>}. */
    public String ramAction() {
        return authAction != null ? authAction : "paidsw:" + action;
    }

    /**
     * The line after the prefix: {@code prefix + ": " + describe(...)}. {@code instanceId}/{@code region} name what
     * was asked for, {@code source} where the credentials came from.
     */
    public String describe(String instanceId, String region, String source) {
        ApiErrors.Kind k = ApiErrors.kind(status, code, false);
        if (k != ApiErrors.Kind.NOT_FOUND) {
            return ApiErrors.describe(k, "DSW", action, status, code, message, requestId, ramAction(), source);
        }
        return (instanceId != null ? "instance " + instanceId : "the resource") + " not found"
                + (region != null ? " in region " + region : "") + " " + ApiErrors.codes(status, code)
                + ": check DSW_INSTANCE_ID / --instance and REGION / --region" + ApiErrors.rid(requestId);
    }
}
