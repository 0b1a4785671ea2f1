package dev.llamagic.engine.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nvidia-smi's documented CSV ({@code --format=csv,noheader,nounits}) as captured from real drivers. */
class NvidiaSmiTest {
    @TempDir
    Path dir;

    static final String ONE_A10 = "0, NVIDIA A10, 18430, 23028, 87, 64, 148.52\n";
    static final String TWO_DIFFERENT = "0, Tesla T4, 3012, 15360, 45, 52, 32.17\n"
            + "1, NVIDIA A100-SXM4-80GB, 40211, 81920, 97, 61, 312.45\n";
    static final String NOT_AVAILABLE = "0, NVIDIA A10, 22145, 23028, [N/A], [N/A], [N/A]\n"
            + "1, NVIDIA GeForce GTX 1080, 1234, 8192, 5, 40, [Not Supported]\n";
    static final String APPS = "12345, /root/.cache/llamagic/llama.cpp/builds/cuda-86/bin/llama-server, 20480\n"
            + "23456, python3, [N/A]\n";

    @Test
    void oneGpu() {
        List<Gpu> g = NvidiaSmi.parseGpus(ONE_A10);
        assertEquals(List.of(new Gpu(0, "NVIDIA A10", 18430L, 23028L, 87, 64, 148.52)), g);
    }

    @Test
    void twoDifferentGpus() {
        List<Gpu> g = NvidiaSmi.parseGpus(TWO_DIFFERENT);
        assertEquals(2, g.size());
        assertEquals("Tesla T4", g.get(0).name());
        assertEquals(1, g.get(1).index());
        assertEquals("NVIDIA A100-SXM4-80GB", g.get(1).name());
        assertEquals(81920L, g.get(1).memoryTotalMiB());
        assertEquals(312.45, g.get(1).powerWatts());
    }

    @Test
    void valuesTheDriverCannotGiveAreMissing() {
        List<Gpu> g = NvidiaSmi.parseGpus(NOT_AVAILABLE);
        assertNull(g.get(0).utilization());
        assertNull(g.get(0).temperature());
        assertNull(g.get(0).powerWatts());
        assertEquals(22145L, g.get(0).memoryUsedMiB());
        assertNull(g.get(1).powerWatts());
        assertEquals(40, g.get(1).temperature());
    }

    @Test
    void noGpuOutputIsEmpty() {
        assertEquals(List.of(), NvidiaSmi.parseGpus(""));
        assertEquals(List.of(), NvidiaSmi.parseApps(""));
        assertEquals(List.of(), NvidiaSmi.parseApps("No running processes found\n"));
    }

    @Test
    void processes() {
        List<GpuProcess> p = NvidiaSmi.parseApps(APPS);
        assertEquals(new GpuProcess(12345, "/root/.cache/llamagic/llama.cpp/builds/cuda-86/bin/llama-server", 20480L), p.get(0));
        assertEquals(new GpuProcess(23456, "python3", null), p.get(1));
    }

    @Test
    void somethingElseIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> NvidiaSmi.parseGpus("index, name\n"));
    }

    @Test
    void noNvidiaSmiOnPath() {
        NvidiaSmi.Snapshot s = NvidiaSmi.probe(Map.of("PATH", dir.toString()));
        assertFalse(s.available());
        assertEquals("nvidia-smi not found on PATH", s.absent());
    }

    @Test
    void aFailingDriverIsExplainedInOneLine() throws Exception {
        fake("echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\"; exit 9");
        NvidiaSmi.Snapshot s = NvidiaSmi.probe(Map.of("PATH", dir.toString()));
        assertFalse(s.available());
        assertTrue(s.absent().startsWith("nvidia-smi failed: NVIDIA-SMI has failed"), s.absent());
    }

    @Test
    void probeRunsTheDocumentedQueries() throws Exception {
        fake("case \"$1\" in --query-gpu=index,name,memory.used,memory.total,utilization.gpu,temperature.gpu,power.draw) printf '"
                + TWO_DIFFERENT.replace("\n", "\\n") + "';; --query-compute-apps=pid,process_name,used_memory) printf '"
                + APPS.replace("\n", "\\n") + "';; *) exit 2;; esac; [ \"$2\" = --format=csv,noheader,nounits ] || exit 3");
        NvidiaSmi.Snapshot s = NvidiaSmi.probe(Map.of("PATH", dir.toString()));
        assertTrue(s.available(), s.absent());
        assertEquals(2, s.gpus().size());
        assertEquals(2, s.processes().size());
    }

    private void fake(String script) throws Exception {
        Path p = dir.resolve("nvidia-smi");
        Files.writeString(p, "#!/bin/bash\n" + script + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
