package dev.llamagic.engine.eas;

import java.util.Locale;
import java.util.Map;

/**
 * One EAS service as DescribeService / ListServices describe it (the {@code Service} model of 2021-07-01). The
 * service's AccessToken is deliberately not here: {@link EasClient#access(String)} hands it out, hidden.
 */
public record EasService(String name, String id, String status, String reason, String message, String region,
                         String internetEndpoint, String intranetEndpoint, Integer runningInstance,
                         Integer totalInstance, Integer pendingInstance, String image, String resource,
                         Integer cpu, Integer gpu, Integer memoryMb, String created, String updated) {

    /** From the API's JSON; every field may be missing. */
    public static EasService from(Map<String, ?> m) {
        return new EasService(Json.str(m, "ServiceName"), first(Json.str(m, "ServiceId"), Json.str(m, "ServiceUid")),
                Json.str(m, "Status"), Json.str(m, "Reason"), Json.str(m, "Message"), Json.str(m, "Region"),
                Json.str(m, "InternetEndpoint"), Json.str(m, "IntranetEndpoint"), Json.num(m, "RunningInstance"),
                Json.num(m, "TotalInstance"), Json.num(m, "PendingInstance"), Json.str(m, "Image"),
                first(Json.str(m, "ResourceAlias"), Json.str(m, "Resource")), Json.num(m, "Cpu"), Json.num(m, "Gpu"),
                Json.num(m, "Memory"), Json.str(m, "CreateTime"), Json.str(m, "UpdateTime"));
    }

    private static String first(String a, String b) {
        return a != null ? a : b;
    }

    public boolean running() {
        return "running".equals(lower(status));
    }

    /** A state it does not leave by itself: Failed, or a stop that finished. */
    public boolean failed() {
        String s = lower(status);
        return s.equals("failed") || s.equals("deletefailed") || s.equals("hotupdatefailed");
    }

    public boolean stopped() {
        return "stopped".equals(lower(status));
    }

    /** "2/3" running of total, or "" when the API did not say. */
    public String instances() {
        if (runningInstance == null && totalInstance == null) return "";
        return (runningInstance == null ? "?" : runningInstance) + "/" + (totalInstance == null ? "?" : totalInstance);
    }

    /** Why it is in its state: Reason and Message, each when present. */
    public String why() {
        if (reason == null && message == null) return "";
        if (reason == null) return message;
        if (message == null || message.equals(reason)) return reason;
        return reason + ": " + message;
    }

    private static String lower(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }
}
