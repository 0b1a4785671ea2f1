package dev.llamagic.engine.dsw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Response mapping: the JSON shapes of the API reference (numbers arrive as doubles from the SDK's JSON reader). */
class DswMappingTest {

    static Map<String, Object> instanceJson() {
        Map<String, Object> m = new HashMap<>();
        m.put("InstanceId", "dsw-730xxxxxxxxxx");
        m.put("InstanceName", "llm");
        m.put("Status", "Running");
        m.put("EcsSpec", "ecs.gn7i-c8g1.2xlarge");
        m.put("AcceleratorType", "GPU");
        m.put("RequestedResource", Map.of("CPU", "8", "GPU", "1", "GPUType", "A10", "Memory", "30"));
        m.put("ImageName", "modelscope:1.25.0-pytorch2.6.0-gpu-py311-cu124-ubuntu22.04");
        m.put("ImageUrl", "dsw-registry.cn-hangzhou.cr.aliyuncs.com/pai/modelscope:1.25.0");
        m.put("WorkspaceId", "12345");
        m.put("AccumulatedRunningTimeInMs", 5_400_000.0);
        m.put("InstanceShutdownTimer", Map.of("DueTime", "2021-01-12T14:36:01Z", "RemainingTimeInMs", 3_600_000.0));
        m.put("LatestSnapshot", Map.of("ImageUrl", "registry.cn-hangzhou.aliyuncs.com/ns/repo:v1", "Status", "Saved",
                "GmtCreateTime", "2021-01-12T14:36:01Z"));
        m.put("Code", "null");
        return m;
    }

    @Test
    void getInstanceBody() {
        DswInstance i = DswInstance.from(instanceJson());
        assertEquals("dsw-730xxxxxxxxxx", i.id());
        assertEquals("Running", i.status());
        assertEquals("A10 × 1", i.gpus());
        assertEquals("8 vCPU · 30 GB", i.resources());
        assertEquals(5_400_000L, i.accumulatedRunningMs());
        assertEquals("2021-01-12T14:36:01Z", i.timer().dueTime());
        assertEquals(3_600_000L, i.timer().remainingMs());
        assertEquals("2021-01-12T14:36:01Z (in 1 h 00 min)", i.timer().describe());
        assertEquals("registry.cn-hangzhou.aliyuncs.com/ns/repo:v1 · Saved · 2021-01-12T14:36:01Z",
                i.latestSnapshot().describe());
        assertEquals("modelscope:1.25.0-pytorch2.6.0-gpu-py311-cu124-ubuntu22.04", i.image());
    }

    @Test
    void missingPartsAreNullNotErrors() {
        Map<String, Object> m = new HashMap<>();
        m.put("InstanceId", "dsw-1");
        m.put("AcceleratorType", "CPU");
        m.put("InstanceShutdownTimer", null);
        m.put("LatestSnapshot", Map.of());
        DswInstance i = DswInstance.from(m);
        assertNull(i.timer());
        assertNull(i.latestSnapshot());
        assertEquals("none", i.gpus());
        assertEquals("", i.resources());
        assertNull(DswTimer.from(Map.of("RemainingTimeInMs", 0.0)));
    }

    @Test
    void snapshotStates() {
        DswSnapshot saving = DswSnapshot.from(Map.of("SnapshotId", "snp-1", "Status", "Saving"));
        assertFalse(saving.finished());
        DswSnapshot pushing = DswSnapshot.from(Map.of("SnapshotId", "snp-1", "Status", "Pushing"));
        assertFalse(pushing.finished());
        DswSnapshot saved = DswSnapshot.from(Map.of("SnapshotId", "snp-1", "Status", "Saved",
                "ExcludePaths", List.of("/mnt/workspace/models")));
        assertTrue(saved.saved());
        assertEquals(List.of("/mnt/workspace/models"), saved.excludePaths());
        DswSnapshot failed = DswSnapshot.from(Map.of("SnapshotId", "snp-1", "Status", "SaveFailed",
                "ReasonCode", "ImagePushFailed", "ReasonMessage", "no space left"));
        assertTrue(failed.failed());
        assertFalse(failed.saved());
        assertEquals("no space left (ImagePushFailed)", failed.why());
    }

    @Test
    void pollWaitGrowsAndIsCapped() {
        java.time.Duration d = java.time.Duration.ofSeconds(2);
        d = SnapshotFollower.next(d);
        assertEquals(3000, d.toMillis());
        for (int i = 0; i < 20; i++) d = SnapshotFollower.next(d);
        assertEquals(SnapshotFollower.MAX_WAIT, d);
    }
}
