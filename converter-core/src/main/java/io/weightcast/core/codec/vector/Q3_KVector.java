package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;

import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.core.codec.scalar.Q3_KScalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q3_K with the Vector API, byte-identical to {@link Q3_KScalar}: the 16 sub-block searches of a super-block
 * ({@code make_q3_quants} without an imatrix, weighted {@code make_qx_quants} with one) run one sub-block per lane
 * in {@link KQuantLanes}; the scale quantization is the scalar code, the requantization and packing vector
 * code. Decoding widens L code and hmask bytes
 * at a time to int lanes and rebuilds the 3-bit codes with shifts and masks.
 */
final class Q3_KVector extends WeightedBlockCodec {

    private static final int QK = 256;
    private static final int BLOCK_BYTES = 110;

    Q3_KVector() {
        super(DType.Q3_K, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        if (importance == null) {
            encodePlain(src, srcOffset, blocks, dst, dstOffset);
            return;
        }
        Q3_KScalar.Scratch s = new Q3_KScalar.Scratch();
        float[] xt = new float[16 * L];
        float[] wt = new float[16 * L];
        float[] lt = new float[16 * L];
        float[] st = KQuantLanes.state();
        float[] dl = new float[16];
        for (int b = 0; b < blocks; b++) {
            int o = srcOffset + b * QK;
            int qo = importanceOffset + b * QK;
            if (KQuantLanes.nonFinite(src, o, QK) || KQuantLanes.nonFinite(importance, qo, QK)) {
                Q3_KScalar.encodeBlock(src, o, importance, qo, dst, dstOffset + (long) b * BLOCK_BYTES, s);
                continue;
            }
            if (importance != null) {
                Q3_KScalar.weights(src, o, importance, importanceOffset + b * QK, s);
            }
            for (int g = 0; g < 16; g += L) {
                for (int k = 0; k < L; k++) {
                    int e = 16 * (g + k);
                    for (int i = 0; i < 16; i++) {
                        xt[i * L + k] = src[o + e + i];
                        if (importance != null) {
                            wt[i * L + k] = s.weight[e + i];
                        }
                    }
                }
                if (importance == null) {
                    KQuantLanes.makeQ3Quants(16, 4, xt, lt, s.scales, g, st);
                    for (int k = 0; k < L; k++) {
                        for (int i = 0; i < 16; i++) {
                            s.l[16 * (g + k) + i] = (byte) lt[i * L + k];
                        }
                    }
                } else {
                    KQuantLanes.makeQxQuants(16, 4, xt, wt, lt, s.scales, g, st);
                    for (int k = 0; k < L; k++) {
                        for (int i = 0; i < 16; i++) {
                            s.l[16 * (g + k) + i] = (byte) lt[i * L + k];
                        }
                    }
                }
            }
            short dh = importance == null ? Q3_KScalar.quantizeScales(s) : Q3_KScalar.quantizeScalesWeighted(s);
            requantAndPack(src, o, s.l, null, 0, dh, s.out, dl);
            MemorySegment.copy(s.out, 0, dst, BYTE, dstOffset + (long) b * BLOCK_BYTES, BLOCK_BYTES);
        }
    }

    /**
     * Encoding without an imatrix: the searches run two lane groups at a time ({@link KQuantLanes#makeQ3Quants2}),
     * the two halves of a super-block with 8 lanes, two super-blocks with 16 (a lone or non-finite one alone).
     */
    private void encodePlain(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        Q3_KScalar.Scratch s = new Q3_KScalar.Scratch();
        Q3_KScalar.Scratch s2 = new Q3_KScalar.Scratch();
        float[] xt = new float[2 * 16 * L];
        float[] lt = new float[2 * 16 * L];
        float[] st = KQuantLanes.state2();
        float[] dl = new float[16];
        int b = 0;
        while (b < blocks) {
            int o = srcOffset + b * QK;
            long at = dstOffset + (long) b * BLOCK_BYTES;
            if (KQuantLanes.nonFinite(src, o, QK)) {
                Q3_KScalar.encodeBlock(src, o, null, 0, dst, at, s);
                b++;
            } else if (L == 8) {
                search2(src, o, s, 0, o + 128, s, 8, xt, lt, st);
                finish(src, o, s, lt, 0, dst, at, dl);
                b++;
            } else if (b + 1 < blocks && !KQuantLanes.nonFinite(src, o + QK, QK)) {
                search2(src, o, s, 0, o + QK, s2, 0, xt, lt, st);
                finish(src, o, s, lt, 0, dst, at, dl);
                finish(src, o + QK, s2, lt, 16 * L, dst, at + BLOCK_BYTES, dl);
                b += 2;
            } else {
                for (int g = 0; g < 16; g += L) {
                    transpose(src, o + 16 * g, xt, 0);
                    KQuantLanes.makeQ3Quants(16, 4, xt, lt, s.scales, g, st);
                    untranspose(lt, 0, s.l, 16 * g);
                }
                finish(src, o, s, null, 0, dst, at, dl);
                b++;
            }
        }
    }

    /**
     * The L sub-blocks at {@code src[pa..]} and those at {@code src[pb..]}: scales to sa/sb at ga/gb; the codes stay
     * transposed in {@code lt} (see {@link #finish}).
     */
    private static void search2(float[] src, int pa, Q3_KScalar.Scratch sa, int ga, int pb, Q3_KScalar.Scratch sb,
            int gb, float[] xt, float[] lt, float[] st) {
        transpose(src, pa, xt, 0);
        transpose(src, pb, xt, 16 * L);
        KQuantLanes.makeQ3Quants2(16, 4, xt, lt, sa.scales, ga, sb.scales, gb, st);
    }

    private static void transpose(float[] src, int p, float[] xt, int xo) {
        for (int k = 0; k < L; k++) {
            for (int i = 0; i < 16; i++) {
                xt[xo + i * L + k] = src[p + 16 * k + i];
            }
        }
    }

    private static void untranspose(float[] lt, int xo, byte[] l, int lo) {
        for (int k = 0; k < L; k++) {
            for (int i = 0; i < 16; i++) {
                l[lo + 16 * k + i] = (byte) lt[xo + i * L + k];
            }
        }
    }

    /**
     * Scale quantization, requantization and packing of the block at {@code src[o..]}. Its search codes are only
     * read where a sub-block scale is zero (the scalar step): if {@code lt} is not null they are still transposed
     * there, its 16/L groups at {@code lt[xo + g·16L..]}, and are copied to {@code s.l} only then.
     */
    private static void finish(float[] src, int o, Q3_KScalar.Scratch s, float[] lt, int xo, MemorySegment dst,
            long at, float[] dl) {
        short dh = Q3_KScalar.quantizeScales(s);
        requantAndPack(src, o, s.l, lt, xo, dh, s.out, dl);
        MemorySegment.copy(s.out, 0, dst, BYTE, at, BLOCK_BYTES);
    }

    private static final float MAGIC = 12582912.0f;

    /**
     * {@link Q3_KScalar#requantAndPack} with the Vector API: codes {@code clamp(nearest_int(x / d), -4, 3) + 4} (the
     * same float division and ggml bit trick, in int lanes), packed straight into {@code hmask} and {@code qs}. A
     * block with a zero sub-block scale keeps the search's codes there, so it goes to the scalar code.
     */
    private static void requantAndPack(float[] x, int o, byte[] lb, float[] lt, int xo, short dh, byte[] out,
            float[] dl) {
        out[108] = (byte) dh;
        out[109] = (byte) (dh >> 8);
        if (scales(out, dl)) {
            if (lt != null) {
                for (int g = 0; g < 16; g += L) {
                    untranspose(lt, xo + 16 * g, lb, 16 * g);
                }
            }
            Q3_KScalar.requantAndPack(x, o, lb, dh, out);
            return;
        }
        for (int m = 0; m < 32; m += L) {
            IntVector hm = half(x, o + m, dl, m / 16, out, 32 + m)
                    .or(half(x, o + 128 + m, dl, 8 + m / 16, out, 64 + m).lanewise(VectorOperators.LSHL, 4));
            store(hm, out, m);
        }
    }

    /**
     * Elements {@code e, e+32, e+64, e+96} (+ L) of sub-blocks {@code s, s+2, s+4, s+6}: their low 2 bits packed to
     * {@code out[at..at+L)}; returns their high bits as bits 0..3.
     */
    private static IntVector half(float[] x, int e, float[] dl, int s, byte[] out, int at) {
        IntVector c0 = code(x, e, dl[s]);
        IntVector c1 = code(x, e + 32, dl[s + 2]);
        IntVector c2 = code(x, e + 64, dl[s + 4]);
        IntVector c3 = code(x, e + 96, dl[s + 6]);
        store(c0.and(3).or(c1.and(3).lanewise(VectorOperators.LSHL, 2)).or(c2.and(3).lanewise(VectorOperators.LSHL, 4))
                .or(c3.lanewise(VectorOperators.LSHL, 6)), out, at);
        return c0.lanewise(VectorOperators.LSHR, 2).or(c1.and(4).lanewise(VectorOperators.LSHR, 1)).or(c2.and(4))
                .or(c3.and(4).lanewise(VectorOperators.LSHL, 1));
    }

    /** {@code clamp(nearest_int(x / d), -4, 3) + 4} for {@code x[at..at+L)}: 0..7. */
    private static IntVector code(float[] x, int at, float d) {
        return FloatVector.fromArray(F, x, at).div(d).add(MAGIC).reinterpretAsInts().and(0x007FFFFF)
                .sub(0x00400000 - 4).max(0).min(7);
    }

    /** The low byte of each int lane to {@code out[at..at+L)}. */
    private static void store(IntVector v, byte[] out, int at) {
        ((ByteVector) v.convertShape(VectorOperators.I2B, B, 0)).intoArray(out, at);
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        byte[] b = new byte[BLOCK_BYTES];
        float[] dl = new float[16];
        for (int i = 0; i < blocks; i++) {
            MemorySegment.copy(src, BYTE, srcOffset + (long) i * BLOCK_BYTES, b, 0, BLOCK_BYTES);
            scales(b, dl);
            int o = dstOffset + i * QK;
            for (int m = 0; m < 32; m += L) {
                IntVector hm = bytes(b, m).lanewise(VectorOperators.LSHL, 2);
                decodeHalf(bytes(b, 32 + m), hm, 0, dl, m, dst, o + m);
                decodeHalf(bytes(b, 64 + m), hm, 1, dl, m, dst, o + 128 + m);
            }
        }
    }

    /**
     * The 16 sub-block scales {@code dl = d * (scale - 32)} of ggml's {@code dequantize_row_q3_K}, in branch-free
     * loops (the 6-bit scales: low nibbles of bytes 96..103, then their high nibbles; 2 high bits from 104..107);
     * returns whether any is zero.
     */
    private static boolean scales(byte[] b, float[] dl) {
        float dAll = Fp16.toFloat((short) ((b[108] & 0xFF) | (b[109] << 8)));
        boolean zero = false;
        for (int j = 0; j < 8; j++) {
            int hi = ((b[104 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3;
            dl[j] = dAll * (((b[96 + j] & 0xF) | hi << 4) - 32);
            zero |= dl[j] == 0;
        }
        for (int j = 8; j < 16; j++) {
            int hi = ((b[104 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3;
            dl[j] = dAll * ((((b[88 + j] & 0xFF) >> 4) | hi << 4) - 32);
            zero |= dl[j] == 0;
        }
        return zero;
    }

    /**
     * Elements {@code m..m+L)} of the four 32-element groups of half {@code h}: 2-bit codes {@code (q >> 2j) & 3},
     * less 4 where hmask bit {@code 4h + j} is clear, times the sub-block's {@code dl} (one float multiply, as
     * ggml). {@code hm} is the hmask bytes shifted left by 2, so that bit {@code k} lands on 4 after {@code >> k}.
     */
    private static void decodeHalf(IntVector q, IntVector hm, int h, float[] dl, int m, float[] y, int o) {
        int is = 8 * h + m / 16;
        for (int j = 0; j < 4; j++) {
            IntVector v = q.lanewise(VectorOperators.LSHR, 2 * j).and(3)
                    .or(hm.lanewise(VectorOperators.LSHR, 4 * h + j).and(4)).sub(4);
            ((FloatVector) v.convertShape(VectorOperators.I2F, F, 0)).mul(dl[is + 2 * j]).intoArray(y, o + 32 * j);
        }
    }

    /** L bytes at {@code at}, sign-extended to int lanes (callers mask the bits they use). */
    private static IntVector bytes(byte[] b, int at) {
        return (IntVector) ByteVector.fromArray(B, b, at).convertShape(VectorOperators.B2I, I, 0);
    }
}
