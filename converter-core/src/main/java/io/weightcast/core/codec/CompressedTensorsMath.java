package io.weightcast.core.codec;

import io.weightcast.formats.tensor.DType;

/**
 * compressed-tensors' quantization math (hf-formats.md §5.2): symmetric scales {@code absmax / ((qmax-qmin)/2)}
 * (so /7.5 for int4, /127.5 for int8, /448 for FP8), computed like torch in the scale dtype (the original weight
 * dtype: every operation rounded to bf16/fp16 when the weight was), {@code q = round(clamp(x / scale))}, and the
 * int32 packing: offset binary ({@code q + 2^(b-1)}), element j of a row at bits {@code [j*b, j*b+b)} of a dense
 * little-endian bitstream of int32 words.
 */
public final class CompressedTensorsMath {
    private CompressedTensorsMath() {
    }

    /** Rounds to the scale dtype, as a torch op in that dtype does after computing in fp32. */
    public static float in(DType t, float v) {
        return switch (t) {
            case BF16 -> Bf16.toFloat(Bf16.fromFloat(v));
            case F16 -> Fp16.toFloat(Fp16.fromFloat(v));
            default -> v;
        };
    }

    /**
     * The symmetric scale for an absmax: {@code absmax / half_range} in the scale dtype, at least fp32 eps. A NaN
     * absmax (a NaN weight) gives the canonical NaN whatever its payload: which NaN a chain of {@link Math#max}
     * returns differs between the interpreter and C2's intrinsic, so the stored scale would otherwise change from
     * run to run (and the GPU kernel, which mirrors this, could not match it).
     */
    public static float scale(DType t, float absmax, float halfRange) {
        if (absmax != absmax) {
            absmax = Float.NaN;
        }
        float s = in(t, in(t, absmax) / halfRange);
        return Math.max(s, Math.ulp(1f));
    }

    /** {@code round(clamp(x / scale, qmin, qmax))} with x/scale rounded in the scale dtype; half to even. */
    public static int quantizeInt(DType t, float x, float scale, int qmin, int qmax) {
        float v = in(t, in(t, x) / scale);
        v = Math.max(qmin, Math.min(qmax, v));
        return (int) Math.rint(v);
    }

    /** Packs {@code n} signed b-bit values (b = 4 or 8) into int32 words, LSB first: {@code ceil(n*b/32)} words. */
    public static void pack(int[] q, int off, int n, int bits, int[] words, int wordOff) {
        int per = 32 / bits;
        int mask = (1 << bits) - 1;
        int bias = 1 << (bits - 1);
        for (int w = 0; w < (n + per - 1) / per; w++) {
            int word = 0;
            for (int k = 0; k < per; k++) {
                int j = w * per + k;
                if (j < n) {
                    word |= ((q[off + j] + bias) & mask) << (bits * k);
                }
            }
            words[wordOff + w] = word;
        }
    }

    /** The signed value of element j of a packed row. */
    public static int unpack(int word, int k, int bits) {
        int mask = (1 << bits) - 1;
        return ((word >>> (bits * k)) & mask) - (1 << (bits - 1));
    }
}
