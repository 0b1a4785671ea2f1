package dev.llamagic.engine.dsw;

import java.util.Map;

/**
 * A DSW instance as GetInstance (and, with fewer fields filled, ListInstances) describe it: status, spec, GPUs,
 * image, scheduled stop and the latest snapshot.
 */
public record DswInstance(String id, String name, String status, String ecsSpec, String acceleratorType,
                          String gpuType, String gpuCount, String cpu, String memoryGb, String imageName,
                          String imageUrl, String workspaceId, String workspaceName, String paymentType,
                          String created, Long accumulatedRunningMs, String reason, DswTimer timer,
                          LatestSnapshot latestSnapshot) {

    /** The latest image saved from this instance ({@code LatestSnapshot}). */
    public record LatestSnapshot(String imageUrl, String imageName, String status, String created, String reason) {
        static LatestSnapshot from(Map<String, ?> m) {
            if (m == null) return null;
            String url = Fields.str(m, "ImageUrl");
            String status = Fields.str(m, "Status");
            if (url == null && status == null) return null;
            String reason = Fields.str(m, "ReasonMessage");
            if (reason == null) reason = Fields.str(m, "ReasonCode");
            return new LatestSnapshot(url, Fields.str(m, "ImageName"), status, Fields.str(m, "GmtCreateTime"), reason);
        }

        public String describe() {
            StringBuilder b = new StringBuilder();
            b.append(imageUrl != null ? imageUrl : imageName != null ? imageName : "(no image)");
            if (status != null) b.append(" · ").append(status);
            if (created != null) b.append(" · ").append(created);
            if (reason != null) b.append(" · ").append(reason);
            return b.toString();
        }
    }

    public static DswInstance from(Map<String, ?> m) {
        Map<String, ?> res = Fields.obj(m, "RequestedResource");
        String reason = Fields.str(m, "ReasonMessage");
        if (reason == null) reason = Fields.str(m, "ReasonCode");
        return new DswInstance(Fields.str(m, "InstanceId"), Fields.str(m, "InstanceName"), Fields.str(m, "Status"),
                Fields.str(m, "EcsSpec"), Fields.str(m, "AcceleratorType"), Fields.str(res, "GPUType"),
                Fields.str(res, "GPU"), Fields.str(res, "CPU"), Fields.str(res, "Memory"), Fields.str(m, "ImageName"),
                Fields.str(m, "ImageUrl"), Fields.str(m, "WorkspaceId"), Fields.str(m, "WorkspaceName"),
                Fields.str(m, "PaymentType"), Fields.str(m, "GmtCreateTime"), Fields.num(m, "AccumulatedRunningTimeInMs"),
                reason, DswTimer.from(Fields.obj(m, "InstanceShutdownTimer")),
                LatestSnapshot.from(Fields.obj(m, "LatestSnapshot")));
    }

    /** "A10 × 1", "CPU" or "". */
    public String gpus() {
        boolean noGpu = gpuCount == null || gpuCount.equals("0");
        if (noGpu && gpuType == null) return "GPU".equalsIgnoreCase(acceleratorType) ? "GPU" : "none";
        return (gpuType != null ? gpuType : "GPU") + " × " + (noGpu ? "?" : gpuCount);
    }

    /** "8 vCPU · 30 GB" from the requested resources, or "". */
    public String resources() {
        StringBuilder b = new StringBuilder();
        if (cpu != null) b.append(cpu).append(" vCPU");
        if (memoryGb != null) {
            if (b.length() > 0) b.append(" · ");
            b.append(memoryGb).append(memoryGb.matches("[0-9.]+") ? " GB" : "");
        }
        return b.toString();
    }

    /** The image: its name, else its address. */
    public String image() {
        return imageName != null ? imageName : imageUrl != null ? imageUrl : "";
    }
}
