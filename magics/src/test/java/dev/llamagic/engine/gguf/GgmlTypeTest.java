package dev.llamagic.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GgmlTypeTest {

    @Test
    void f16RoundsToNearestEvenLikeNumpy() {
        assertEquals(0x3C00, GgmlType.f32ToF16(1.0f) & 0xFFFF);
        assertEquals(0x7BFF, GgmlType.f32ToF16(65504f) & 0xFFFF);
        assertEquals(0x7BFF, GgmlType.f32ToF16(65519f) & 0xFFFF, "below the halfway point to 65536 stays finite");
        assertEquals(0x7C00, GgmlType.f32ToF16(65520f) & 0xFFFF, "the halfway point rounds to even: infinity");
        assertEquals(0xFC00, GgmlType.f32ToF16(Float.NEGATIVE_INFINITY) & 0xFFFF);
        assertTrue(((GgmlType.f32ToF16(Float.NaN) & 0x7C00) == 0x7C00) && (GgmlType.f32ToF16(Float.NaN) & 0x3FF) != 0);
        // 1 + 2^-11 is exactly between 1 and 1 + 2^-10: ties to even (1.0)
        assertEquals(0x3C00, GgmlType.f32ToF16(1f + 0x1p-11f) & 0xFFFF);
        // 1 + 3*2^-11 is between 1+2^-10 (odd) and 1+2^-9 (even): up
        assertEquals(0x3C02, GgmlType.f32ToF16(1f + 3 * 0x1p-11f) & 0xFFFF);
        // subnormals: smallest, and half of it (ties to even: zero), and 1.5x (rounds to 2)
        assertEquals(0x0001, GgmlType.f32ToF16(0x1p-24f) & 0xFFFF);
        assertEquals(0x0000, GgmlType.f32ToF16(0x1p-25f) & 0xFFFF);
        assertEquals(0x0002, GgmlType.f32ToF16(1.5f * 0x1p-24f) & 0xFFFF);
        assertEquals(0x8000, GgmlType.f32ToF16(-0f) & 0xFFFF);
        assertEquals(0x0400, GgmlType.f32ToF16(0x1p-14f) & 0xFFFF, "smallest normal");
        assertEquals(0x0400, GgmlType.f32ToF16(0x1p-14f - 0x1p-26f) & 0xFFFF, "rounds up from the subnormal range");
    }

    @Test
    void f16RoundTripsEveryValue() {
        for (int h = 0; h < 65536; h++) {
            int exp = (h >>> 10) & 0x1F;
            if (exp == 0x1F && (h & 0x3FF) != 0) continue; // NaNs
            assertEquals(h, GgmlType.f32ToF16(GgmlType.f16ToF32(h)) & 0xFFFF, Integer.toHexString(h));
        }
    }

    @Test
    void bf16RoundsToNearestEvenAndQuietsNan() {
        assertEquals(0x3F80, GgmlType.f32ToBf16(1.0f) & 0xFFFF);
        assertEquals(0x3F80, GgmlType.f32ToBf16(Float.intBitsToFloat(0x3F808000)) & 0xFFFF, "tie → even");
        assertEquals(0x3F82, GgmlType.f32ToBf16(Float.intBitsToFloat(0x3F818000)) & 0xFFFF, "tie → even (up)");
        assertEquals(0x7FC0 | 0x40, GgmlType.f32ToBf16(Float.intBitsToFloat(0x7F800001)) & 0xFFFF | 0x40);
        assertEquals(1.0f, GgmlType.bf16ToF32(0x3F80));
    }

    @Test
    void q8_0MatchesTheReferenceQuantizer() {
        float[] x = new float[32];
        for (int i = 0; i < 32; i++) x[i] = (i - 16) * 0.25f;
        x[5] = 0.5f * (4.0f / 127f) * 3; // lands on a .5 after scaling: away from zero
        byte[] q = new byte[34];
        GgmlType.quantizeQ8_0(x, 0, q, 0);
        float d = 4.0f / 127f;
        short dh = GgmlType.f32ToF16(d);
        assertEquals((byte) dh, q[0]);
        assertEquals((byte) (dh >>> 8), q[1]);
        assertEquals(-127, q[2], "-4 is the max magnitude");
        assertEquals(2, q[2 + 5], "1.5 rounds away from zero");
        byte[] zero = new byte[34];
        GgmlType.quantizeQ8_0(new float[32], 0, zero, 0);
        for (byte b : zero) assertEquals(0, b);
        assertEquals(-2f, GgmlType.roundf(-1.5f));
        assertEquals(3f, GgmlType.roundf(2.5f));
    }

    @Test
    void tablesAgreeWithTheScalarKernels() {
        for (int b = 0; b < 65536; b += 7) {
            assertEquals(GgmlType.f32ToF16(GgmlType.bf16ToF32(b)), GgmlType.BF16_TO_F16[b]);
        }
        assertEquals(34, GgmlType.Q8_0.bytes(32));
        assertEquals(144 * 2, GgmlType.Q4_K.bytes(512));
    }
}
