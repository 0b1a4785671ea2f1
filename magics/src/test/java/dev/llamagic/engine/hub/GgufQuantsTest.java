package dev.llamagic.engine.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamagic.core.UserError;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Quantizations read off file names of real Qwen GGUF repos. */
class GgufQuantsTest {

    static RepoFile f(String path, long size) {
        return new RepoFile(path, size, null, "");
    }

    /** Like Qwen/Qwen3-4B-GGUF plus projectors and a README. */
    static final List<RepoFile> REPO = List.of(
            f("README.md", 10),
            f("Qwen3-4B-Q4_K_M.gguf", 2_500_000_000L),
            f("Qwen3-4B-Q4_K_S.gguf", 2_380_000_000L),
            f("Qwen3-4B-IQ4_XS.gguf", 2_280_000_000L),
            f("Qwen3-4B-Q8_0.gguf", 4_280_000_000L),
            f("mmproj-F16.gguf", 800_000_000L),
            f("mmproj-Q8_0.gguf", 450_000_000L));

    @Test
    void quantTokensOfRealNames() {
        assertEquals("Q4_K_M", GgufQuants.quantOf("Qwen3-4B-Q4_K_M.gguf"));
        assertEquals("Q8_0", GgufQuants.quantOf("qwen3-8b-q8_0.gguf"));
        assertEquals("Q4_K_M", GgufQuants.quantOf("Qwen3-30B-A3B-Q4_K_M-00001-of-00003.gguf"));
        assertEquals("F16", GgufQuants.quantOf("mmproj-F16.gguf"));
        assertEquals("IQ4_XS", GgufQuants.quantOf("Qwen3-4B-IQ4_XS.gguf"));
        assertEquals("BF16", GgufQuants.quantOf("Qwen3-4B-BF16.gguf"));
        assertEquals("UD-Q4_K_XL", GgufQuants.quantOf("Qwen3-4B-UD-Q4_K_XL.gguf"));
        assertEquals("Q4_K_M", GgufQuants.quantOf("Q4_K_M/Qwen3-235B-A22B-00001-of-00003.gguf"));
        // "4B" and "A3B" and "30B" are sizes, not quantizations
        assertNull(GgufQuants.quantOf("Qwen3-4B.gguf"));
        assertTrue(GgufQuants.isMmproj("mmproj-F16.gguf"));
        assertFalse(GgufQuants.isModel("mmproj-F16.gguf"));
        assertFalse(GgufQuants.isModel("README.md"));
    }

    @Test
    void refsAreOwnerNameAndAnOptionalQuant() {
        assertEquals(new GgufQuants.Ref("Qwen/Qwen3-4B-GGUF", "Q4_K_M"), GgufQuants.parse("Qwen/Qwen3-4B-GGUF:Q4_K_M").orElseThrow());
        assertEquals(new GgufQuants.Ref("Qwen/Qwen3-4B-GGUF", null), GgufQuants.parse("Qwen/Qwen3-4B-GGUF").orElseThrow());
        assertTrue(GgufQuants.parse("/mnt/x/y.gguf").isEmpty());
        assertTrue(GgufQuants.parse("./x/y").isEmpty());
        assertTrue(GgufQuants.parse("models/x.gguf").isEmpty());
        assertTrue(GgufQuants.parse("a/b/c").isEmpty());
        assertTrue(GgufQuants.parse("model.gguf").isEmpty());
    }

    @Test
    void groupsSplitPartsAndLeavesProjectorsOut() {
        List<GgufQuants.Quant> q = GgufQuants.group(REPO);
        assertEquals(List.of("IQ4_XS", "Q4_K_S", "Q4_K_M", "Q8_0"), q.stream().map(GgufQuants.Quant::name).toList());
        List<GgufQuants.Quant> split = GgufQuants.group(List.of(f("Qwen3-30B-A3B-Q4_K_M-00002-of-00003.gguf", 7),
                f("Qwen3-30B-A3B-Q4_K_M-00001-of-00003.gguf", 7), f("Qwen3-30B-A3B-Q4_K_M-00003-of-00003.gguf", 4),
                f("Qwen3-30B-A3B-Q8_0.gguf", 30)));
        assertEquals(List.of("Q4_K_M", "Q8_0"), split.stream().map(GgufQuants.Quant::name).toList());
        assertEquals(18, split.get(0).bytes());
        assertEquals("Qwen3-30B-A3B-Q4_K_M-00001-of-00003.gguf", split.get(0).first().path());
    }

    @Test
    void choosesTheQuantCaseInsensitivelyWithItsSplitPartsAndProjector() {
        List<RepoFile> repo = List.of(f("Qwen3-30B-A3B-Q4_K_M-00002-of-00003.gguf", 2), f("Qwen3-30B-A3B-Q4_K_M-00001-of-00003.gguf", 1),
                f("Qwen3-30B-A3B-Q4_K_M-00003-of-00003.gguf", 3), f("Qwen3-30B-A3B-Q4_K_S.gguf", 5), f("Qwen3-30B-A3B-IQ4_XS.gguf", 4),
                f("mmproj-F16.gguf", 7), f("mmproj-Q8_0.gguf", 6), f("README.md", 1));
        GgufQuants.Choice c = GgufQuants.choose("Qwen/Qwen3-30B-A3B-GGUF", repo, "q4_k_m");
        assertEquals("Q4_K_M", c.quant().name());
        assertEquals("Qwen3-30B-A3B-Q4_K_M-00001-of-00003.gguf", c.quant().first().path());
        assertEquals(List.of("Qwen3-30B-A3B-Q4_K_M-00001-of-00003.gguf", "Qwen3-30B-A3B-Q4_K_M-00002-of-00003.gguf",
                "Qwen3-30B-A3B-Q4_K_M-00003-of-00003.gguf", "mmproj-F16.gguf"), c.paths());
        assertEquals(6 + 7, c.bytes());
        // the projector of the same quantization wins over F16
        assertEquals("mmproj-Q8_0.gguf", GgufQuants.mmproj(repo, "Q8_0").path());
        assertEquals("Qwen3-30B-A3B-Q4_K_S.gguf", GgufQuants.choose("r/x", repo, "Q4_K_S").quant().first().path());
        assertEquals(List.of("Qwen3-30B-A3B-IQ4_XS.gguf", "mmproj-F16.gguf"), GgufQuants.choose("r/x", repo, "iq4_xs").paths());
    }

    @Test
    void aQuantThatMatchesNothingSaysTheChoicesInOneLine() {
        UserError e = assertThrows(UserError.class, () -> GgufQuants.choose("Qwen/Qwen3-4B-GGUF", REPO, "Q4_K"));
        assertEquals("Qwen/Qwen3-4B-GGUF has no quantization 'Q4_K' (did you mean Q4_K_M?); it has IQ4_XS, Q4_K_S, Q4_K_M, Q8_0", e.getMessage());
        List<RepoFile> more = List.of(f("m-Q4_K_M.gguf", 1), f("m-Q6_K.gguf", 2), f("m-IQ4_XS.gguf", 3));
        assertEquals("Q4_K_M", GgufQuants.closest("Q4_K", List.of("Q6_K", "Q4_K_M")));
        assertEquals("IQ4_XS", GgufQuants.closest("iq4", List.of("Q6_K", "Q4_K_M", "IQ4_XS")));
        e = assertThrows(UserError.class, () -> GgufQuants.choose("o/m", more, "Q4_K"));
        assertEquals("o/m has no quantization 'Q4_K' (did you mean Q4_K_M?); it has Q4_K_M, Q6_K, IQ4_XS", e.getMessage());
        e = assertThrows(UserError.class, () -> GgufQuants.choose("Qwen/Qwen3-4B-GGUF", REPO, "Q2_K"));
        assertFalse(e.getMessage().contains("\n"));
        assertThrows(UserError.class, () -> GgufQuants.choose("Qwen/Qwen3-4B", List.of(f("model.safetensors", 1)), "Q8_0"));
    }

    @Test
    void aMissingSplitPartIsRefused() {
        List<RepoFile> repo = List.of(f("m-Q8_0-00001-of-00002.gguf", 1));
        UserError e = assertThrows(UserError.class, () -> GgufQuants.choose("o/m", repo, "Q8_0"));
        assertEquals("o/m lists 1 of the 2 parts of Q8_0 (m-Q8_0-00001-of-00002.gguf)", e.getMessage());
    }

    @Test
    void theLargestThatFitsLeavesRoomForTheContext() {
        List<GgufQuants.Quant> q = GgufQuants.group(List.of(f("m-Q4_K_M.gguf", 2_500L << 20), f("m-Q8_0.gguf", 4_300L << 20),
                f("m-F16.gguf", 8_000L << 20)));
        // 16-bit weights fit too, but Q8_0 serves as well at about twice the speed
        assertEquals("Q8_0", GgufQuants.largestFitting(q, 22_000L << 20).name());
        assertEquals("F16", GgufQuants.largestFitting(GgufQuants.group(List.of(f("m-F16.gguf", 8_000L << 20))), 22_000L << 20).name());
        assertEquals("Q8_0", GgufQuants.largestFitting(q, 8_000L << 20).name());
        // 2.5 GiB + 10 % + 1 GiB does not fit in 3.5 GiB
        assertNull(GgufQuants.largestFitting(q, 3_500L << 20));
        assertNull(GgufQuants.largestFitting(q, 0));
    }

    @Test
    void aPathIsAGlobMatchingOnlyItself() {
        Patterns p = new Patterns(List.of(HubGguf.glob("a[1]*.gguf")), List.of());
        assertTrue(p.selects("a[1]*.gguf"));
        assertFalse(p.selects("a1x.gguf"));
    }
}
