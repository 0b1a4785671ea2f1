package dev.llamagic.engine.aliyun;

import java.util.Locale;
import java.util.Map;

/**
 * What the EAS and DSW error answers share: reading tea-openapi's error data, telling the kinds apart, and the
 * lines a user reads for the kinds worded alike.
 */
public final class ApiErrors {
    private ApiErrors() {}

    public enum Kind { ACCESS_DENIED, BAD_CREDENTIALS, NOT_FOUND, THROTTLED, OTHER }

    /** The fields of an error answer; code and message are never null. */
    public record Fields(int status, String code, String message, String requestId, String authAction) {}

    /** From tea-openapi's error data: the answer's JSON fields plus {@code statusCode}. */
    public static Fields parse(Integer status, String code, Map<String, ?> data) {
        Double fromData = ApiJson.number(data, "statusCode");
        int st = status != null ? status
                : fromData != null && Double.isFinite(fromData) && fromData >= 0 && fromData <= 1_000_000 ? fromData.intValue() : 0;
        String c = code;
        if (c == null || c.isBlank() || c.equals("null")) c = ApiJson.str(data, "Code");
        String msg = ApiJson.str(data, "Message");
        if (msg == null) msg = ApiJson.str(data, "message");
        String rid = ApiJson.str(data, "RequestId");
        if (rid == null) rid = ApiJson.str(data, "requestId");
        String auth = ApiJson.str(ApiJson.obj(data, "AccessDeniedDetail"), "AuthAction");
        return new Fields(st, c == null ? "" : c, msg == null ? "" : msg, rid, auth);
    }

    /**
     * The kind of an answer; {@code wide} also counts "flowcontrol" codes as throttling and "unauthorized" ones as
     * access denied (EAS answers so).
     */
    public static Kind kind(int status, String code, boolean wide) {
        String c = code.toLowerCase(Locale.ROOT);
        if (c.startsWith("throttling") || (wide && c.contains("flowcontrol")) || status == 429) return Kind.THROTTLED;
        if (c.startsWith("invalidaccesskeyid") || c.startsWith("signaturedoesnotmatch")
                || c.startsWith("invalidsecuritytoken") || c.equals("incompletesignature")) return Kind.BAD_CREDENTIALS;
        if (status == 403 || c.startsWith("forbidden") || c.contains("nopermission") || c.contains("accessdenied")
                || (wide && c.contains("unauthorized"))) {
            return Kind.ACCESS_DENIED;
        }
        if (status == 404 || c.contains("notfound") || c.contains("notexist")) return Kind.NOT_FOUND;
        return Kind.OTHER;
    }

    /** "(HTTP 403 Forbidden.RAM)". */
    public static String codes(int status, String code) {
        return "(" + (status > 0 ? "HTTP " + status + " " : "") + code + ")";
    }

    /** "; request id ..." or "". */
    public static String rid(String requestId) {
        return requestId != null ? "; request id " + requestId : "";
    }

    /**
     * The line for every kind but NOT_FOUND (null then): {@code api} names the API ("EAS"), {@code source} where the
     * credentials came from.
     */
    public static String describe(Kind kind, String api, String action, int status, String code, String message,
            String requestId, String ramAction, String source) {
        String codes = codes(status, code);
        String rid = rid(requestId);
        return switch (kind) {
            case ACCESS_DENIED -> "access denied " + codes + ": the credentials from " + source + " lack "
                    + ramAction + "; grant it in a RAM policy (the README's " + api + " section has one)" + rid;
            case BAD_CREDENTIALS -> "Alibaba Cloud rejected the credentials from " + source + " " + codes
                    + ": check the AccessKey pair (or the STS token and its expiry)" + rid;
            case NOT_FOUND -> null;
            case THROTTLED -> "the " + api + " API is throttling requests " + codes + ": wait a minute and run it again" + rid;
            case OTHER -> action + " failed " + codes + (message.isBlank() ? "" : ": " + oneLine(message)) + rid;
        };
    }

    public static String oneLine(String s) {
        String m = s.replaceAll("\\s+", " ").trim();
        return m.length() > 200 ? m.substring(0, 197) + "..." : m;
    }
}
