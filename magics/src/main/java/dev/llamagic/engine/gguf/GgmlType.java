package dev.llamagic.engine.gguf;

/**
 * ggml tensor types (the ids GGUF stores) with their block layout, and the conversion kernels the converter
 * uses: F32, F16, BF16 and Q8_0 bit-exact with numpy / gguf-py / ggml's reference code.
 */
public enum GgmlType {
    F32(0, 1, 4), F16(1, 1, 2), Q4_0(2, 32, 18), Q4_1(3, 32, 20), Q5_0(6, 32, 22), Q5_1(7, 32, 24),
    Q8_0(8, 32, 34), Q8_1(9, 32, 36), Q2_K(10, 256, 84), Q3_K(11, 256, 110), Q4_K(12, 256, 144),
    Q5_K(13, 256, 176), Q6_K(14, 256, 210), Q8_K(15, 256, 292), IQ2_XXS(16, 256, 66), IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98), IQ1_S(19, 256, 50), IQ4_NL(20, 32, 18), IQ3_S(21, 256, 110), IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136), I8(24, 1, 1), I16(25, 1, 2), I32(26, 1, 4), I64(27, 1, 8), F64(28, 1, 8),
    IQ1_M(29, 256, 56), BF16(30, 1, 2), TQ1_0(34, 256, 54), TQ2_0(35, 256, 66), MXFP4(39, 32, 17);

    public final int id;
    public final int blockSize;
    public final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    public static GgmlType of(int id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    /** Bytes a row-major tensor of {@code elements} values takes. */
    public long bytes(long elements) {
        return elements / blockSize * typeSize;
    }

    // ---- scalar kernels --------------------------------------------------------------------------------

    /** IEEE binary16 bits → float. */
    public static float f16ToF32(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign);
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** float → IEEE binary16 bits, round to nearest even (numpy's {@code astype(float16)}, ggml's FP32_TO_FP16). */
    public static short f32ToF16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int exp = (x >>> 23) & 0xFF;
        int mant = x & 0x7FFFFF;
        if (exp == 0xFF) {
            if (mant == 0) return (short) (sign | 0x7C00);
            return (short) (sign | 0x7E00 | (mant >>> 13)); // NaN stays NaN (quiet)
        }
        int e = exp - 112; // rebias 127 → 15
        if (e >= 0x1F) return (short) (sign | 0x7C00);
        if (e <= 0) {
            int shift = 14 - e;
            if (shift > 24) return (short) sign;
            int full = mant | 0x800000;
            int m = full >>> shift;
            int rem = full & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (m & 1) == 1)) m++;
            return (short) (sign | m);
        }
        int h = sign | (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) == 1)) h++;
        return (short) h;
    }

    public static float bf16ToF32(int b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** float → bfloat16 bits: NaN forced quiet, round to nearest even (ggml_compute_fp32_to_bf16). */
    public static short f32ToBf16(float f) {
        int n = Float.floatToRawIntBits(f);
        if ((n & 0x7FFFFFFF) > 0x7F800000) return (short) (((n >>> 16) & 0xFFFF) | 64);
        long u = n & 0xFFFFFFFFL;
        return (short) ((u + (0x7FFF + ((u >>> 16) & 1))) >>> 16);
    }

    /** ggml's roundf: half away from zero. */
    static float roundf(float v) {
        float a = Math.abs(v);
        float fl = (float) Math.floor(a);
        float b = fl + (float) Math.floor(2 * (a - fl));
        return Math.copySign(b, v);
    }

    /**
     * Q8_0 of 32 floats at {@code src[from..from+32)} into {@code dst[at..at+34)}: f16 scale d = max|x|/127,
     * then 32 int8 round(x/d), as ggml's quantize_row_q8_0_ref.
     */
    public static void quantizeQ8_0(float[] src, int from, byte[] dst, int at) {
        float amax = 0;
        for (int i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(src[from + i]));
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        short dh = f32ToF16(d);
        dst[at] = (byte) dh;
        dst[at + 1] = (byte) (dh >>> 8);
        for (int i = 0; i < 32; i++) {
            dst[at + 2 + i] = (byte) (int) roundf(src[from + i] * id);
        }
    }

    // ---- lookup tables for the 16-bit paths (one entry per source bit pattern) -------------------------

    /** bf16 bits → f16 bits. */
    static final short[] BF16_TO_F16 = new short[65536];
    /** f16 bits → bf16 bits. */
    static final short[] F16_TO_BF16 = new short[65536];
    /** f16 bits → float. */
    static final float[] F16_TO_F32 = new float[65536];

    static {
        for (int i = 0; i < 65536; i++) {
            BF16_TO_F16[i] = f32ToF16(bf16ToF32(i));
            float f = f16ToF32(i);
            F16_TO_F32[i] = f;
            F16_TO_BF16[i] = f32ToBf16(f);
        }
    }
}
