package dev.llamagic.engine.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CUDA architectures as users write them: numbers, dotted capabilities, sm_NN, GPU names, lists. */
class CudaArchsTest {

    @Test
    void gpuNamesGiveTheirArchitectures() {
        assertEquals(List.of("86"), CudaArchs.parse(List.of("a10")));
        assertEquals(List.of("75"), CudaArchs.parse(List.of("T4")));
        assertEquals(List.of("70"), CudaArchs.parse(List.of("v100")));
        assertEquals(List.of("80"), CudaArchs.parse(List.of("A100")));
        assertEquals(List.of("90"), CudaArchs.parse(List.of("h100")));
        assertEquals(List.of("86"), CudaArchs.parse(List.of("NVIDIA-A10")), "a vendor prefix is fine");
    }

    @Test
    void numbersInEveryUsualSpellingAndListsKeepOrderWithoutRepeats() {
        assertEquals(List.of("86"), CudaArchs.parse(List.of("86")));
        assertEquals(List.of("86"), CudaArchs.parse(List.of("8.6")));
        assertEquals(List.of("86"), CudaArchs.parse(List.of("sm_86")));
        assertEquals(List.of("90a"), CudaArchs.parse(List.of("90a")));
        assertEquals(List.of("86-real", "75-virtual"), CudaArchs.parse(List.of("86-real", "75-virtual")));
        assertEquals(List.of("75", "86", "80"), CudaArchs.parse(List.of("t4,a10", "80;86 8.0")));
        // picocli splits --cuda-arch a10,t4 into two entries; a notebook parameter arrives as one string
        assertEquals(CudaArchs.parse(List.of("a10", "t4")), CudaArchs.parse(List.of("a10,t4")));
    }

    @Test
    void anythingElseIsOneLineNamingTheEntry() {
        Wording.Error e = assertThrows(Wording.Error.class, () -> CudaArchs.parse(List.of("86,fermi")));
        assertEquals("the CUDA architecture fermi is neither a CUDA architecture nor a GPU we know (write the compute"
                + " capability without the dot, 86 for an A10, 75 for a T4, or a name: a10, t4, v100, a100, h100)", e.getMessage());
        assertTrue(e.in(Map.of("cudaArch", "--cuda-arch")).startsWith("--cuda-arch fermi is neither"));
        assertThrows(Wording.Error.class, () -> CudaArchs.parse(List.of("8")));
        assertThrows(Wording.Error.class, () -> CudaArchs.parse(List.of("8600")));
    }

    @Test
    void numbersAndWhatEachEntryAsksFor() {
        assertEquals(86, CudaArchs.number("86-real"));
        assertEquals(90, CudaArchs.number("90a"));
        assertTrue(CudaArchs.wantsCubin("86") && CudaArchs.wantsPtx("86"));
        assertTrue(CudaArchs.wantsCubin("86-real") && !CudaArchs.wantsPtx("86-real"));
        assertFalse(CudaArchs.wantsCubin("86-virtual"));
    }
}
