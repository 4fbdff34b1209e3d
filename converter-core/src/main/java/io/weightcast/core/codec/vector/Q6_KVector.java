package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.core.codec.scalar.Q6_KScalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q6_K with the Vector API, byte-identical to {@link Q6_KScalar}: the 16 {@code make_qx_quants} searches of a
 * super-block run one sub-block per lane ({@link KQuantLanes#makeQxQuants}, L = 8 or 16 divides 16); the rest of
 * the block (scale quantization, requantization, packing) is the scalar code. Decoding widens L code bytes at a
 * time to int lanes, rebuilds the four 6-bit quarters with shifts and masks and multiplies by the sub-block scale.
 */
final class Q6_KVector extends WeightedBlockCodec {

    private static final int QK = 256;
    private static final int BLOCK_BYTES = 210;

    Q6_KVector() {
        super(DType.Q6_K, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        Q6_KScalar.Scratch s = new Q6_KScalar.Scratch();
        float[] xt = new float[16 * L];
        float[] wt = new float[16 * L];
        float[] lt = new float[16 * L];
        float[] st = KQuantLanes.state();
        for (int b = 0; b < blocks; b++) {
            int o = srcOffset + b * QK;
            int qo = importanceOffset + b * QK;
            if (KQuantLanes.nonFinite(src, o, QK) || KQuantLanes.nonFinite(importance, qo, QK)) {
                Q6_KScalar.encodeBlock(src, o, importance, qo, dst, dstOffset + (long) b * BLOCK_BYTES, s);
                continue;
            }
            for (int g = 0; g < 16; g += L) {
                for (int k = 0; k < L; k++) {
                    int e = o + 16 * (g + k);
                    for (int i = 0; i < 16; i++) {
                        float x = src[e + i];
                        xt[i * L + k] = x;
                        wt[i * L + k] = importance != null ? importance[qo + 16 * (g + k) + i] : x * x;
                    }
                }
                KQuantLanes.makeQxQuants(16, 32, xt, wt, lt, s.scales, g, st);
                for (int k = 0; k < L; k++) {
                    for (int i = 0; i < 16; i++) {
                        s.l[16 * (g + k) + i] = (byte) lt[i * L + k];
                    }
                }
            }
            Q6_KScalar.finish(src, o, s, dst, dstOffset + (long) b * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * BLOCK_BYTES;
            int o = dstOffset + i * QK;
            float d = Fp16.toFloat(src.get(LE_SHORT, p + 208));
            for (int h = 0; h < 2; h++) {
                for (int l = 0; l < 32; l += L) {
                    decodeChunk(src, p, h, l, d, dst, o + 128 * h + l);
                }
            }
        }
    }

    /**
     * Elements {@code l..l+L)} of the four 32-element quarters of half {@code h}: ggml's
     * {@code y = d * sc[is] * q} evaluated as {@code (d * sc) * q}, the sub-block scale {@code d * sc} a scalar.
     */
    private static void decodeChunk(MemorySegment src, long p, int h, int l, float d, float[] y, int yo) {
        long sc = p + 192 + 8 * h + l / 16;
        IntVector lo = bytes(src, p + 64 * h + l);
        IntVector hi = bytes(src, p + 64 * h + l + 32);
        IntVector hb = bytes(src, p + 128 + 32 * h + l);
        store(lo.and(0xF).or(hb.and(3).lanewise(VectorOperators.LSHL, 4)), d * src.get(BYTE, sc), y, yo);
        store(hi.and(0xF).or(hb.lanewise(VectorOperators.LSHL, 2).and(0x30)), d * src.get(BYTE, sc + 2), y, yo + 32);
        store(lo.lanewise(VectorOperators.ASHR, 4).and(0xF).or(hb.and(0x30)), d * src.get(BYTE, sc + 4), y, yo + 64);
        store(hi.lanewise(VectorOperators.ASHR, 4).and(0xF).or(hb.lanewise(VectorOperators.ASHR, 2).and(0x30)),
                d * src.get(BYTE, sc + 6), y, yo + 96);
    }

    /** L bytes at {@code at}, sign-extended to int lanes (callers mask the bits they use). */
    private static IntVector bytes(MemorySegment src, long at) {
        return (IntVector) ByteVector.fromMemorySegment(B, src, at, LE).convertShape(VectorOperators.B2I, I, 0);
    }

    /** {@code (q - 32) * s} to {@code y[o..o+L)}. */
    private static void store(IntVector q, float s, float[] y, int o) {
        ((FloatVector) q.sub(32).convertShape(VectorOperators.I2F, F, 0)).mul(s).intoArray(y, o);
    }
}
