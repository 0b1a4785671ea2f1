package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.Context;
import dev.llamagic.core.RecordingNotebook;
import dev.llamagic.core.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cross-built CUDA build's device check, the way later commands reach it ({@link Llama#latest}): pending without a GPU,
 * completed and recorded on the first use with one, refused when the GPU's architecture was not built.
 */
class DeviceCheckTest {
    @TempDir
    Path tmp;

    /** A recorded cross-built install whose llama-server lists {@code devices} (one per line, indented). */
    private LlamaInstall crossBuilt(String cudaCode, String... devices) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("home/llama.cpp/builds/de3ff815ea-cuda-sm86-12345678/bin"));
        StringBuilder out = new StringBuilder("Available devices:\n");
        for (String d : devices) out.append("  ").append(d).append('\n');
        if (devices.length == 0) out.append("  (none)\n");
        Path server = dir.resolve("llama-server");
        Files.writeString(server, "#!/bin/sh\n[ \"$1\" = --list-devices ] && { printf '%s' '" + out + "'; exit 0; }\nexit 1\n");
        server.toFile().setExecutable(true);
        LlamaInstall i = new LlamaInstall(dir, "de3ff815ea7d559ee917f063901b8986f038abc6", "cuda", "86", List.of(),
                "de3ff815ea-cuda-sm86-12345678", Instant.parse("2026-12-03T17:00:00Z"), List.of("llama-server"), 2453,
                "version: 1 (de3ff81)", "bundle", cudaCode, true);
        i.write(dir.getParent().resolve(LlamaInstall.MARKER));
        return i;
    }

    private Context ctx(RecordingNotebook nb, FakeCuda fake) {
        return new Context(nb, fake.env("LLAMAGIC_HOME", tmp.resolve("home").toString()), "test", null);
    }

    @Test
    void withoutAGpuItStaysPendingAndNothingIsSaid() throws Exception {
        LlamaInstall i = crossBuilt("sm_86 + PTX compute_86 in libggml-cuda.so", "CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)");
        RecordingNotebook nb = new RecordingNotebook();
        LlamaInstall found = Llama.latest(ctx(nb, new FakeCuda(tmp.resolve("fake"))));
        assertEquals(i, found);
        assertTrue(found.devicePending());
        assertEquals("", nb.all().strip());
    }

    @Test
    void theFirstUseOnAGpuCompletesAndRecordsIt() throws Exception {
        crossBuilt("sm_86 + PTX compute_86 in libggml-cuda.so", "CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)");
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "NVIDIA A10, 8.6");
        RecordingNotebook nb = new RecordingNotebook();
        LlamaInstall found = Llama.latest(ctx(nb, fake));
        assertFalse(found.devicePending());
        assertEquals(List.of("CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)"), found.devices());
        assertEquals(List.of("device check of the cross-built llama.cpp build de3ff815ea-cuda-sm86-12345678 completed:"
                + " CUDA0: NVIDIA A10 (22731 MiB, 22000 MiB free)"), nb.lines);
        // recorded: the next use neither checks nor says anything
        RecordingNotebook again = new RecordingNotebook();
        assertEquals(found, Llama.latest(ctx(again, fake)));
        assertEquals(List.of(), again.lines);
    }

    @Test
    void aGpuTheCodeCannotRunOnIsOneLineNamingTheArchitectureToBuild() throws Exception {
        crossBuilt("sm_86 + PTX compute_86 in libggml-cuda.so", "CUDA0: Tesla T4 (15000 MiB, 14000 MiB free)");
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("12.4", "Tesla T4, 7.5");
        UserError e = assertThrows(UserError.class, () -> Llama.latest(ctx(new RecordingNotebook(), fake)));
        assertEquals("the cross-built llama.cpp build de3ff815ea-cuda-sm86-12345678 holds sm_86 + PTX compute_86 in"
                + " libggml-cuda.so, which cannot run on this Tesla T4 (sm_75): build it for 75", e.getMessage());
        assertTrue(Llama.installs(ctx(new RecordingNotebook(), fake)).get(0).devicePending(), "still pending");
    }

    @Test
    void binariesThatSeeNoGpuWhereThereIsOneFailInOneLine() throws Exception {
        crossBuilt("sm_86 + PTX compute_86 in libggml-cuda.so");
        FakeCuda fake = new FakeCuda(tmp.resolve("fake")).smi("11.4", "NVIDIA A10, 8.6");
        UserError e = assertThrows(UserError.class, () -> Llama.latest(ctx(new RecordingNotebook(), fake)));
        assertTrue(e.getMessage().startsWith("the cross-built llama.cpp build de3ff815ea-cuda-sm86-12345678 does not see the GPU"
                + " (NVIDIA A10): llama-server --list-devices lists none"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void whichCodeRunsOnWhichGpu() {
        assertTrue(DeviceCheck.runsOn("sm_86 + PTX compute_86 in libggml-cuda.so", 86));
        assertTrue(DeviceCheck.runsOn("sm_80 in libggml-cuda.so", 86), "8.0 machine code runs on 8.6");
        assertFalse(DeviceCheck.runsOn("sm_86 in libggml-cuda.so", 80));
        assertFalse(DeviceCheck.runsOn("sm_86 in libggml-cuda.so", 90), "no PTX: no 9.0");
        assertTrue(DeviceCheck.runsOn("sm_86 + PTX compute_86 in libggml-cuda.so", 90), "PTX is compiled for the newer GPU");
        assertFalse(DeviceCheck.runsOn("sm_86 + PTX compute_86 in libggml-cuda.so", 75));
        assertTrue(DeviceCheck.runsOn("", 75), "unknown code: the device listing decides");
    }

    @Test
    void theRecordKeepsTheNewFieldsAndOldRecordsReadAsChecked() throws Exception {
        LlamaInstall i = crossBuilt("sm_86 in libggml-cuda.so");
        Path marker = i.binDir().getParent().resolve(LlamaInstall.MARKER);
        assertEquals(i, LlamaInstall.read(marker));
        // a record written before cross-builds existed
        Files.writeString(marker, "{\"binDir\": \"" + i.binDir() + "\", \"commit\": \"c\", \"backend\": \"cuda\","
                + " \"cudaArchs\": \"86\", \"devices\": [\"CUDA0: NVIDIA A10\"], \"key\": \"k\", \"builtAt\": \"2026-12-01T00:00:00Z\"}");
        LlamaInstall old = LlamaInstall.read(marker);
        assertFalse(old.devicePending());
        assertEquals("", old.cudaCode());
        assertEquals(List.of("CUDA0: NVIDIA A10"), old.devices());
    }
}
