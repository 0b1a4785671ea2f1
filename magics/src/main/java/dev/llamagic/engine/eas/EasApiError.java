package dev.llamagic.engine.eas;

import java.util.Locale;
import java.util.Map;

/**
 * An error answer of the EAS API and the one line a user reads for it: access denied (naming the RAM action to
 * grant), the service not found, throttling, bad credentials, or anything else with its code and message, always
 * with the request id Alibaba Cloud support asks for.
 */
public record EasApiError(String action, int status, String code, String message, String requestId, String authAction) {

    /** From tea-openapi's error data: the answer's JSON fields plus {@code statusCode}. */
    public static EasApiError from(String action, Integer status, String code, Map<String, ?> data) {
        Integer fromData = Json.num(data, "statusCode");
        int st = status != null ? status : fromData != null ? fromData : 0;
        String c = code;
        if (c == null || c.isBlank() || c.equals("null")) c = Json.str(data, "Code");
        String msg = Json.str(data, "Message");
        if (msg == null) msg = Json.str(data, "message");
        String rid = Json.str(data, "RequestId");
        if (rid == null) rid = Json.str(data, "requestId");
        String auth = Json.str(Json.obj(data, "AccessDeniedDetail"), "AuthAction");
        return new EasApiError(action, st, c == null ? "" : c, msg == null ? "" : msg, rid, auth);
    }

    public enum Kind { ACCESS_DENIED, BAD_CREDENTIALS, NOT_FOUND, THROTTLED, OTHER }

    public Kind kind() {
        String c = code.toLowerCase(Locale.ROOT);
        if (c.startsWith("throttling") || c.contains("flowcontrol") || status == 429) return Kind.THROTTLED;
        if (c.startsWith("invalidaccesskeyid") || c.startsWith("signaturedoesnotmatch")
                || c.startsWith("invalidsecuritytoken") || c.equals("incompletesignature")) return Kind.BAD_CREDENTIALS;
        if (status == 403 || c.startsWith("forbidden") || c.contains("nopermission") || c.contains("accessdenied")
                || c.contains("unauthorized")) {
            return Kind.ACCESS_DENIED;
        }
        if (status == 404 || c.contains("notfound") || c.contains("notexist")) return Kind.NOT_FOUND;
        return Kind.OTHER;
    }

    /** The RAM action the caller needs: the one the answer names, else {@code eas:<Action>}. */
    public String ramAction() {
        return authAction != null ? authAction : "eas:" + action;
    }

    /** The line after the prefix; {@code what} names what was asked for ("service llama-q4"), {@code source} the credentials. */
    public String describe(String what, String region, String source) {
        String codes = "(" + (status > 0 ? "HTTP " + status + " " : "") + code + ")";
        String rid = requestId != null ? "; request id " + requestId : "";
        return switch (kind()) {
            case ACCESS_DENIED -> "access denied " + codes + ": the credentials from " + source + " lack "
                    + ramAction() + "; grant it in a RAM policy (the README's EAS section has one)" + rid;
            case BAD_CREDENTIALS -> "Alibaba Cloud rejected the credentials from " + source + " " + codes
                    + ": check the AccessKey pair (or the STS token and its expiry)" + rid;
            case NOT_FOUND -> (what != null ? what : "the resource") + " not found"
                    + (region != null ? " in region " + region : "") + " " + codes + rid;
            case THROTTLED -> "the EAS API is throttling requests " + codes + ": wait a minute and run it again" + rid;
            case OTHER -> action + " failed " + codes + (message.isBlank() ? "" : ": " + oneLine(message)) + rid;
        };
    }

    static String oneLine(String s) {
        String m = s.replaceAll("\\s+", " ").trim();
        return m.length() > 200 ? m.substring(0, 197) + "..." : m;
    }
}
