package dev.llamagic.engine.dsw;

import java.util.Locale;
import java.util.Map;

/**
 * An error answer of the DSW API, and the one line a user reads for it: access denied (with the RAM action to
 * grant), the instance not found, throttling, bad credentials, or anything else with its code, always with the
 * request id Alibaba Cloud support asks for.
 */
public record DswApiError(String action, int status, String code, String message, String requestId, String authAction) {

    /** From tea-openapi's error data: the answer's JSON fields plus {@code statusCode}. */
    public static DswApiError from(String action, Integer status, String code, Map<String, ?> data) {
        int st = status != null ? status : data != null && Fields.num(data, "statusCode") != null
                ? Fields.num(data, "statusCode").intValue() : 0;
        String c = code;
        if (c == null || c.isBlank() || c.equals("null")) c = Fields.str(data, "Code");
        String msg = Fields.str(data, "Message");
        if (msg == null) msg = Fields.str(data, "message");
        String rid = Fields.str(data, "RequestId");
        if (rid == null) rid = Fields.str(data, "requestId");
        String auth = Fields.str(Fields.obj(data, "AccessDeniedDetail"), "AuthAction");
        return new DswApiError(action, st, c == null ? "" : c, msg == null ? "" : msg, rid, auth);
    }

    public enum Kind { ACCESS_DENIED, BAD_CREDENTIALS, NOT_FOUND, THROTTLED, OTHER }

    public Kind kind() {
        String c = code.toLowerCase(Locale.ROOT);
        if (c.startsWith("throttling") || status == 429) return Kind.THROTTLED;
        if (c.startsWith("invalidaccesskeyid") || c.startsWith("signaturedoesnotmatch")
                || c.startsWith("invalidsecuritytoken") || c.equals("incompletesignature")) return Kind.BAD_CREDENTIALS;
        if (status == 403 || c.startsWith("forbidden") || c.contains("nopermission") || c.contains("accessdenied")) {
            return Kind.ACCESS_DENIED;
        }
        if (status == 404 || c.contains("notfound") || c.contains("notexist")) return Kind.NOT_FOUND;
        return Kind.OTHER;
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
        String what = "(" + (status > 0 ? "HTTP " + status + " " : "") + code + ")";
        String rid = requestId != null ? "; request id " + requestId : "";
        return switch (kind()) {
            case ACCESS_DENIED -> "access denied " + what + ": the credentials from " + source + " lack "
                    + ramAction() + "; grant it in a RAM policy (the README's DSW section has one)" + rid;
            case BAD_CREDENTIALS -> "Alibaba Cloud rejected the credentials from " + source + " " + what
                    + ": check the AccessKey pair (or the STS token and its expiry)" + rid;
            case NOT_FOUND -> (instanceId != null ? "instance " + instanceId : "the resource") + " not found"
                    + (region != null ? " in region " + region : "") + " " + what
                    + ": check DSW_INSTANCE_ID / --instance and REGION / --region" + rid;
            case THROTTLED -> "the DSW API is throttling requests " + what + ": wait a minute and run it again" + rid;
            case OTHER -> action + " failed " + what + (message.isBlank() ? "" : ": " + oneLine(message)) + rid;
        };
    }

    private static String oneLine(String s) {
        String m = s.replaceAll("\\s+", " ").trim();
        return m.length() > 200 ? m.substring(0, 197) + "..." : m;
    }
}
