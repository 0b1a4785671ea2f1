package dev.llamagic.engine.dsw;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** An instance snapshot (a custom image made from the instance) as GetInstanceSnapshot / ListInstanceSnapshot show it. */
public record DswSnapshot(String id, String name, String status, String imageUrl, String imageId, String created,
                          String modified, String reasonCode, String reasonMessage, List<String> excludePaths) {

    public static DswSnapshot from(Map<String, ?> m) {
        return new DswSnapshot(Fields.str(m, "SnapshotId"), Fields.str(m, "SnapshotName"), Fields.str(m, "Status"),
                Fields.str(m, "ImageUrl"), Fields.str(m, "ImageId"), Fields.str(m, "GmtCreateTime"),
                Fields.str(m, "GmtModifiedTime"), Fields.str(m, "ReasonCode"), Fields.str(m, "ReasonMessage"),
                Fields.strings(m, "ExcludePaths"));
    }

    /** Saved: the image is in the registry. */
    public boolean saved() {
        return status != null && (status.equalsIgnoreCase("Saved") || status.equalsIgnoreCase("Succeeded")
                || status.equalsIgnoreCase("Available"));
    }

    /** SaveFailed (or any other failure state): it will not become Saved. */
    public boolean failed() {
        if (status == null) return false;
        String s = status.toLowerCase(Locale.ROOT);
        return s.contains("fail") || s.equals("error");
    }

    public boolean finished() {
        return saved() || failed();
    }

    /** "SaveFailed: disk quota exceeded (QuotaExceeded)". */
    public String why() {
        String msg = reasonMessage != null ? reasonMessage : "";
        if (reasonCode != null) msg = msg.isEmpty() ? reasonCode : msg + " (" + reasonCode + ")";
        return msg;
    }
}
