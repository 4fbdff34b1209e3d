package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.scalar.TQ1_0Scalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * TQ1_0 with the Vector API, byte-identical to {@link TQ1_0Scalar}. Lanes run over the bytes of {@code qs} (each
 * packs elements {@code m + 32n} or {@code 160 + m + 16n}); trits as in {@link TQ2_0Vector}; the base-3 number is
 * integer arithmetic and the ceiling {@code (q·256 + 242)/243} is {@code ((q·256 + 242)·69043) >>> 24}, exact for
 * every q ≤ 242 (checked in the tests). The four {@code qh} bytes are done per element. Blocks with NaN/inf or an
 * overflowing reciprocal go to the scalar code.
 */
final class TQ1_0Vector extends BlockCodec {

    private static final int QK = 256;
    private static final int BLOCK_BYTES = 54;
    private static final int[] POW3 = {1, 3, 9, 27, 81};

    TQ1_0Vector() {
        super(DType.TQ1_0, "vector");
    }

    static IntVector ceil243(IntVector q) {
        return q.mul(256).add(242).mul(69043).lanewise(VectorOperators.LSHR, 24);
    }

    private static int trit(float v) {
        return 1 + (v >= 0.5f ? 1 : 0) - (v <= -0.5f ? 1 : 0);
    }

    static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        int bits = TQ2_0Vector.amaxBits(x, o, QK);
        float d = Float.intBitsToFloat(bits);
        float id = d != 0 ? 1.0f / d : 0.0f;
        if (bits < 0 || id == Float.POSITIVE_INFINITY) {
            TQ1_0Scalar.encodeBlock(x, o, y, p);
            return;
        }
        y.set(LE_SHORT, p + 52, Fp16.fromFloat(d));
        for (int c = 0; c < 32; c += L) {
            packFive(x, o + c, 32, id, y, p + c);
        }
        for (int c = 0; c < 16; c += L) {
            packFive(x, o + 160 + c, 16, id, y, p + 32 + c);
        }
        for (int j = 0; j < 4; ++j) {
            int q = 0;
            for (int m = 0; m < 4; ++m) {
                q = q * 3 + trit(x[o + 240 + j + m * 4] * id);
            }
            y.set(BYTE, p + 48 + j, (byte) TQ1_0Scalar.pack(q * 3));
        }
    }

    /** Five trits at {@code x[o + k·stride]} (k = 0..4, first most significant) into the packed byte, per lane. */
    private static void packFive(float[] x, int o, int stride, float id, MemorySegment y, long at) {
        // straight-line (no loop-carried vector), so that C2 keeps every vector in registers
        IntVector t0 = TQ2_0Vector.trit(x, o, id);
        IntVector t1 = TQ2_0Vector.trit(x, o + stride, id);
        IntVector t2 = TQ2_0Vector.trit(x, o + 2 * stride, id);
        IntVector t3 = TQ2_0Vector.trit(x, o + 3 * stride, id);
        IntVector t4 = TQ2_0Vector.trit(x, o + 4 * stride, id);
        IntVector q = t0.mul(81).add(t1.mul(27)).add(t2.mul(9)).add(t3.mul(3)).add(t4);
        ((ByteVector) ceil243(q).convertShape(VectorOperators.I2B, B, 0)).intoMemorySegment(y, at, LE);
    }

    static void decodeBlock(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p + 52));
        for (int c = 0; c < 32; c += L) {
            IntVector b = ((IntVector) ByteVector.fromMemorySegment(B, x, p + c, LE)
                    .convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
            for (int n = 0; n < 5; n++) {
                decodeTrits(b, n, d, y, o + 32 * n + c);
            }
        }
        for (int c = 0; c < 16; c += L) {
            IntVector b = ((IntVector) ByteVector.fromMemorySegment(B, x, p + 32 + c, LE)
                    .convertShape(VectorOperators.B2I, I, 0)).and(0xFF);
            for (int n = 0; n < 5; n++) {
                decodeTrits(b, n, d, y, o + 160 + 16 * n + c);
            }
        }
        for (int n = 0; n < 4; ++n) {
            for (int j = 0; j < 4; ++j) {
                int q = ((x.get(BYTE, p + 48 + j) & 0xFF) * POW3[n]) & 0xFF;
                y[o + 240 + 4 * n + j] = (float) (((q * 3) >> 8) - 1) * d;
            }
        }
    }

    private static void decodeTrits(IntVector b, int n, float d, float[] y, int at) {
        IntVector t = b.mul(POW3[n]).and(0xFF).mul(3).lanewise(VectorOperators.ASHR, 8).sub(1);
        ((FloatVector) t.convert(VectorOperators.I2F, 0)).mul(d).intoArray(y, at);
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            decodeBlock(src, srcOffset + (long) i * BLOCK_BYTES, dst, dstOffset + i * QK);
        }
    }
}
