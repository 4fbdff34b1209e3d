package io.weightcast.core.codec.vector;

import static io.weightcast.core.codec.Layouts.LE_FLOAT;
import static io.weightcast.core.codec.Layouts.LE_SHORT;
import static io.weightcast.core.codec.scalar.KQuantAsymmetric.QK_K;
import static io.weightcast.core.codec.vector.VectorSpecs.B;
import static io.weightcast.core.codec.vector.VectorSpecs.F;
import static io.weightcast.core.codec.vector.VectorSpecs.I;
import static io.weightcast.core.codec.vector.VectorSpecs.L;
import static io.weightcast.core.codec.vector.VectorSpecs.LE;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.scalar.Q8_KScalar;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_K with the Vector API, byte-identical to {@link Q8_KScalar}: element-wise within the block (its only sums,
 * bsums, are integer). Blocks holding NaN or ±inf run the scalar code.
 */
final class Q8_KVector extends BlockCodec {

    private static final int BLOCK_BYTES = 292;

    Q8_KVector() {
        super(DType.Q8_K, "vector");
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        for (int i = 0; i < blocks; i++) {
            int o = srcOffset + i * QK_K;
            long p = dstOffset + (long) i * BLOCK_BYTES;
            float max = Blocks.signedAbsMax(src, o, QK_K);
            if (max != max) {
                Q8_KScalar.encodeBlock(src, o, dst, p);
                continue;
            }
            if (max == 0) {
                dst.asSlice(p, BLOCK_BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -127.0f / max;
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int c = 0; c < 16; c += L) {
                    IntVector q = KQuantLanes.nearestInt(FloatVector.fromArray(F, src, o + 16 * g + c).mul(iscale))
                            .min(127);
                    ByteVector b = (ByteVector) q.convertShape(VectorOperators.I2B, B, 0);
                    b.intoMemorySegment(dst, p + 4 + 16 * g + c, LE);
                    sum += ((IntVector) b.convertShape(VectorOperators.B2I, I, 0)).reduceLanes(VectorOperators.ADD);
                }
                dst.set(LE_SHORT, p + 260 + 2 * g, (short) sum);
            }
            dst.set(LE_FLOAT, p, 1 / iscale);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * BLOCK_BYTES;
            int o = dstOffset + i * QK_K;
            float d = src.get(LE_FLOAT, p);
            for (int c = 0; c < QK_K; c += L) {
                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, src, p + 4 + c, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, o + c);
            }
        }
    }
}
