package io.weightcast.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * bitsandbytes' blockwise 4-bit quantization (NF4 and bnb's own FP4), its double quantization of the absmax
 * vector, and LLM.int8 row-wise quantization — the math only (hf-formats.md §2–3). Scalar reference; the hot loop
 * (4-bit encode) has a Vector API twin, {@code codec.vector.Bnb4BitVector}, that must give the same bytes.
 */
public final class Bnb {
    private Bnb() {
    }

    /** The NF4 code table (index = 4-bit code), as stored in {@code quant_map}. */
    public static final float[] NF4 = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

    /** bnb's FP4 table divided by 12 (index = code; bit 3 is the sign), as stored in {@code quant_map}. */
    public static final float[] FP4 = {
        0.0f, 0.0052083334885537624f, 0.6666666865348816f, 1.0f, 0.3333333432674408f, 0.5f,
        0.1666666716337204f, 0.25f, -0.0f, -0.0052083334885537624f, -0.6666666865348816f, -1.0f,
        -0.3333333432674408f, -0.5f, -0.1666666716337204f, -0.25f};

    /** The valid 4-bit block sizes of {@code quantize_4bit}. */
    public static final int[] BLOCK_SIZES = {32, 64, 128, 256, 512, 1024, 2048, 4096};

    /** The signed 8-bit dynamic map ({@code create_dynamic_map(signed=True)}), torch 2.11's exact float32 output. */
    public static final float[] DYNAMIC = {
        -0.992968738f, -0.978906274f, -0.96484375f, -0.950781226f, -0.936718762f, -0.922656238f, -0.908593774f, -0.89453125f, 
        -0.880468726f, -0.866406262f, -0.852343738f, -0.838281274f, -0.82421875f, -0.810156226f, -0.796093762f, -0.782031238f, 
        -0.767968774f, -0.75390625f, -0.739843726f, -0.725781262f, -0.711718798f, -0.697656274f, -0.68359375f, -0.669531226f, 
        -0.655468762f, -0.641406298f, -0.627343774f, -0.61328125f, -0.599218726f, -0.585156262f, -0.571093798f, -0.557031274f, 
        -0.54296875f, -0.528906226f, -0.514843702f, -0.500781238f, -0.486718714f, -0.47265625f, -0.458593726f, -0.444531262f, 
        -0.430468738f, -0.416406244f, -0.40234375f, -0.388281226f, -0.374218762f, -0.360156238f, -0.346093744f, -0.33203125f, 
        -0.317968726f, -0.303906262f, -0.289843738f, -0.275781274f, -0.26171875f, -0.247656241f, -0.233593747f, -0.219531253f, 
        -0.205468744f, -0.19140625f, -0.177343756f, -0.163281247f, -0.149218753f, -0.135156244f, -0.12109375f, -0.107031256f, 
        -0.0985937491f, -0.0957812592f, -0.0929687545f, -0.0901562497f, -0.0873437524f, -0.0845312476f, -0.0817187577f, -0.078906253f, 
        -0.0760937482f, -0.0732812509f, -0.0704687461f, -0.0676562563f, -0.0648437515f, -0.0620312504f, -0.0592187531f, -0.0564062484f, 
        -0.053593751f, -0.05078125f, -0.047968749f, -0.0451562516f, -0.0423437469f, -0.0395312496f, -0.0367187522f, -0.0339062512f, 
        -0.0310937501f, -0.028281251f, -0.0254687499f, -0.0226562507f, -0.0198437516f, -0.0170312505f, -0.0142187504f, -0.0114062503f, 
        -0.00971874967f, -0.00915624946f, -0.00859375019f, -0.00803124998f, -0.00746874977f, -0.00690625003f, -0.00634374982f, -0.00578125007f, 
        -0.00521875033f, -0.00465624966f, -0.00409374991f, -0.00353124971f, -0.00296874996f, -0.00240624999f, -0.00184375001f, -0.00128124992f, 
        -0.000943750085f, -0.000831249985f, -0.00071875006f, -0.000606250076f, -0.000493750034f, -0.000381250022f, -0.000268750038f, -0.000156250011f, 
        -8.87499991e-05f, -6.62500024e-05f, -4.37499984e-05f, -2.12499981e-05f, -7.7499999e-06f, -3.25000019e-06f, -5.50000038e-07f, 0f, 
        5.50000038e-07f, 3.25000019e-06f, 7.7499999e-06f, 2.12499981e-05f, 4.37499984e-05f, 6.62500024e-05f, 8.87499991e-05f, 0.000156250011f, 
        0.000268750038f, 0.000381250022f, 0.000493750034f, 0.000606250076f, 0.00071875006f, 0.000831249985f, 0.000943750085f, 0.00128124992f, 
        0.00184375001f, 0.00240624999f, 0.00296874996f, 0.00353124971f, 0.00409374991f, 0.00465624966f, 0.00521875033f, 0.00578125007f, 
        0.00634374982f, 0.00690625003f, 0.00746874977f, 0.00803124998f, 0.00859375019f, 0.00915624946f, 0.00971874967f, 0.0114062503f, 
        0.0142187504f, 0.0170312505f, 0.0198437516f, 0.0226562507f, 0.0254687499f, 0.028281251f, 0.0310937501f, 0.0339062512f, 
        0.0367187522f, 0.0395312496f, 0.0423437469f, 0.0451562516f, 0.047968749f, 0.05078125f, 0.053593751f, 0.0564062484f, 
        0.0592187531f, 0.0620312504f, 0.0648437515f, 0.0676562563f, 0.0704687461f, 0.0732812509f, 0.0760937482f, 0.078906253f, 
        0.0817187577f, 0.0845312476f, 0.0873437524f, 0.0901562497f, 0.0929687545f, 0.0957812592f, 0.0985937491f, 0.107031256f, 
        0.12109375f, 0.135156244f, 0.149218753f, 0.163281247f, 0.177343756f, 0.19140625f, 0.205468744f, 0.219531253f, 
        0.233593747f, 0.247656241f, 0.26171875f, 0.275781274f, 0.289843738f, 0.303906262f, 0.317968726f, 0.33203125f, 
        0.346093744f, 0.360156238f, 0.374218762f, 0.388281226f, 0.40234375f, 0.416406244f, 0.430468738f, 0.444531262f, 
        0.458593726f, 0.47265625f, 0.486718714f, 0.500781238f, 0.514843702f, 0.528906226f, 0.54296875f, 0.557031274f, 
        0.571093798f, 0.585156262f, 0.599218726f, 0.61328125f, 0.627343774f, 0.641406298f, 0.655468762f, 0.669531226f, 
        0.68359375f, 0.697656274f, 0.711718798f, 0.725781262f, 0.739843726f, 0.75390625f, 0.767968774f, 0.782031238f, 
        0.796093762f, 0.810156226f, 0.82421875f, 0.838281274f, 0.852343738f, 0.866406262f, 0.880468726f, 0.89453125f, 
        0.908593774f, 0.922656238f, 0.936718762f, 0.950781226f, 0.96484375f, 0.978906274f, 0.992968738f, 1f
    };

    private static final float[] DYNAMIC_MID = new float[255];

    static {
        for (int i = 0; i < 255; i++) {
            DYNAMIC_MID[i] = (DYNAMIC[i] + DYNAMIC[i + 1]) / 2f;
        }
    }

    /** NF4 code of a scaled value in [-1, 1]: CUDA's {@code dQuantizeNF4} decision tree (strict {@code >}). */
    public static int nf4(float x) {
        if (x > 0.03979014977812767f) {
            if (x > 0.3893125355243683f) {
                if (x > 0.6427869200706482f) {
                    return x > 0.8614784181118011f ? 15 : 14;
                }
                return x > 0.5016634166240692f ? 13 : 12;
            }
            if (x > 0.2035212516784668f) {
                return x > 0.2920137718319893f ? 11 : 10;
            }
            return x > 0.1202552504837513f ? 9 : 8;
        }
        if (x > -0.33967943489551544f) {
            if (x > -0.13791173323988914f) {
                return x > -0.045525018125772476f ? 7 : 6;
            }
            return x > -0.23460740596055984f ? 5 : 4;
        }
        if (x > -0.6106329262256622f) {
            return x > -0.4599952697753906f ? 3 : 2;
        }
        return x > -0.8480964004993439f ? 1 : 0;
    }

    /** FP4 code of a scaled value in [-1, 1]: CUDA's {@code dQuantizeFP4}. */
    public static int fp4(float x) {
        int sign = x < 0 ? 8 : 0;
        float a = Math.abs(x);
        int code;
        if (a > 0.29166667f) {
            if (a > 0.583333f) {
                code = a > 0.8333333f ? 0b011 : 0b010;
            } else {
                code = a > 0.4166667f ? 0b101 : 0b100;
            }
        } else if (a > 0.0859375f) {
            code = a > 0.20833333f ? 0b111 : 0b110;
        } else {
            code = a > 0.00260417f ? 0b001 : 0b000;
        }
        return code | sign;
    }

    /** The absmax of each block of {@code blocksize} (the last one may be partial) of {@code src[off, off+n)}. */
    public static void absmax(float[] src, int off, int n, int blocksize, float[] absmax, int absOff) {
        for (int b = 0, start = 0; start < n; b++, start += blocksize) {
            int end = Math.min(n, start + blocksize);
            float m = 0f;
            for (int i = start; i < end; i++) {
                m = Math.max(m, Math.abs(src[off + i]));
            }
            // A NaN maximum is stored as the canonical NaN: which NaN Math.max returns differs between the
            // interpreter and C2's intrinsic, and the output must not change from run to run.
            absmax[absOff + b] = m != m ? Float.NaN : m;
        }
    }

    /**
     * Quantizes {@code n} values (whole blocks except possibly the last; {@code n} even unless it ends the
     * tensor) to packed 4-bit codes, high nibble first, into {@code dst} at {@code dstOffset}, using the absmax
     * per block ({@code s = clamp(x * (1 / max(absmax, 1e-38)), -1, 1)}, then the decision tree).
     */
    public static void quantize4(boolean nf4, float[] src, int off, int n, int blocksize, float[] absmax,
            int absOff, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < n; i += 2) {
            int hi = code4(nf4, src[off + i], absmax[absOff + i / blocksize]);
            int lo = i + 1 < n ? code4(nf4, src[off + i + 1], absmax[absOff + (i + 1) / blocksize]) : 0;
            dst.set(Layouts.BYTE, dstOffset + i / 2, (byte) ((hi << 4) | lo));
        }
    }

    static int code4(boolean nf4, float x, float absmax) {
        float s = x * (1f / Math.max(absmax, 1e-38f));
        s = Math.max(-1f, Math.min(1f, s));
        return nf4 ? nf4(s) : fp4(s);
    }

    /** Dequantizes elements {@code [first, first+count)}: {@code quant_map[q] * absmax[i / blocksize]}. */
    public static void dequantize4(MemorySegment packed, float[] quantMap, float[] absmax, int blocksize,
            long first, int count, float[] dst, int dstOffset) {
        for (int k = 0; k < count; k++) {
            long i = first + k;
            int b = packed.get(Layouts.BYTE, i >>> 1) & 0xFF;
            int q = (i & 1) == 0 ? b >>> 4 : b & 0xF;
            dst[dstOffset + k] = X86Float.mul(quantMap[q], absmax[(int) (i / blocksize)]); // a stored map may hold NaN
        }
    }

    /** Double quantization of an absmax vector: the result of {@code quantize_blockwise(absmax - offset, 256)}. */
    public record Nested(byte[] codes, float[] nestedAbsmax, float offset) {
    }

    /**
     * bnb's {@code compress_statistics}: {@code offset = mean(absmax)}, then blockwise 8-bit quantization of
     * {@code absmax - offset} in blocks of 256 with the dynamic map (nearest entry, ties to the lower code).
     * The mean is summed in double and rounded once; torch computes it in float32 (CPU: ATen cascade sum whose
     * order depends on the vector width; CUDA: a tree reduction), so the offset can differ in its last bits
     * (README, "bnb double-quant offset"). The offset is stored in the quant_state, so reading is unaffected.
     */
    public static Nested doubleQuantize(float[] absmax) {
        double sum = 0;
        for (float a : absmax) {
            sum += a;
        }
        float offset = absmax.length == 0 ? 0f : (float) (sum / absmax.length);
        byte[] codes = new byte[absmax.length];
        float[] nested = new float[(absmax.length + 255) / 256];
        for (int b = 0; b < nested.length; b++) {
            int start = b * 256;
            int end = Math.min(absmax.length, start + 256);
            float m = 0f;
            for (int i = start; i < end; i++) {
                m = Math.max(m, Math.abs(absmax[i] - offset));
            }
            nested[b] = m;
            for (int i = start; i < end; i++) {
                float s = m == 0f ? 0f : (absmax[i] - offset) / m;
                s = Math.max(-1f, Math.min(1f, s));
                codes[i] = (byte) dynamicCode(s);
            }
        }
        return new Nested(codes, nested, offset);
    }

    /** Nearest entry of the dynamic map; a value exactly between two entries takes the lower one. */
    static int dynamicCode(float s) {
        int lo = 0;
        int hi = 255;
        while (lo < hi) { // the number of midpoints strictly below s
            int mid = (lo + hi) >>> 1;
            if (s > DYNAMIC_MID[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The absmax vector back from double quantization: {@code map[code] * nested[b / 256] + offset}. */
    public static float[] undoubleQuantize(byte[] codes, float[] nestedMap, float[] nestedAbsmax, int nestedBlock,
            float offset) {
        float[] out = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            out[i] = nestedMap[codes[i] & 0xFF] * nestedAbsmax[i / nestedBlock] + offset;
        }
        return out;
    }

    /**
     * LLM.int8 row quantization of one row, after bnb's cast to float16: {@code SCB = max|w16|},
     * {@code CB = rint(w16 * fl(fl(1/SCB) * 127))} (torch evaluates {@code 127.0 / t} as a reciprocal times 127).
     * An all-zero row gives SCB 0 and zeros. Returns SCB.
     */
    public static float int8Row(float[] src, int off, int n, MemorySegment dst, long dstOffset) {
        float m = 0f;
        for (int i = 0; i < n; i++) {
            src[off + i] = Fp16.toFloat(Fp16.fromFloat(src[off + i]));
            m = Math.max(m, Math.abs(src[off + i]));
        }
        float factor = m == 0f ? 0f : (1f / m) * 127f;
        for (int i = 0; i < n; i++) {
            float v = (float) Math.rint(src[off + i] * factor);
            dst.set(Layouts.BYTE, dstOffset + i, (byte) Math.max(-127, Math.min(127, (int) v)));
        }
        return m;
    }

    /** The multiplier bnb dequantizes int8 with: {@code CB * SCB * 7.874015718698502e-3}. */
    public static final float INV_127 = 7.874015718698502e-3f;
}
