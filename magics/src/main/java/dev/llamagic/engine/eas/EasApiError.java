package dev.llamagic.engine.eas;

import dev.llamagic.engine.aliyun.ApiErrors;
import java.util.Map;

/**
 * An error answer of the EAS API and the one line a user reads for it: access denied (naming the RAM action to
 * grant), the service not found, throttling, bad credentials, or anything else with its code and message, always
 * with the request id Alibaba Cloud support asks for. The shared parts are in {@link ApiErrors}.
 */
public record EasApiError(String action, int status, String code, String message, String requestId, String authAction) {

    /** From tea-openapi's error data: the answer's JSON fields plus {@code statusCode}. */
    public static EasApiError from(String action, Integer status, String code, Map<String, ?> data) {
        ApiErrors.Fields f = ApiErrors.parse(status, code, data);
        return new EasApiError(action, f.status(), f.code(), f.message(), f.requestId(), f.authAction());
    }

    public enum Kind { ACCESS_DENIED, BAD_CREDENTIALS, NOT_FOUND, THROTTLED, OTHER }

    public Kind kind() {
        return Kind.valueOf(ApiErrors.kind(status, code, true).name());
    }

    /** The RAM action the caller needs: the one the answer names, else {@code eas:<Action>}. */
    public String ramAction() {
        return authAction != null ? authAction : "eas:" + action;
    }

    /** The line after the prefix; {@code what} names what was asked for ("service llama-q4"), {@code source} the credentials. */
    public String describe(String what, String region, String source) {
        ApiErrors.Kind k = ApiErrors.kind(status, code, true);
        if (k != ApiErrors.Kind.NOT_FOUND) {
            return ApiErrors.describe(k, "EAS", action, status, code, message, requestId, ramAction(), source);
        }
        return (what != null ? what : "the resource") + " not found" + (region != null ? " in region " + region : "")
                + " " + ApiErrors.codes(status, code) + ApiErrors.rid(requestId);
    }
}
