package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;

import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * IQ4_NL reference: ggml's {@code quantize_iq4_nl} (what {@code ggml_quantize_chunk} and llama-quantize run, with
 * or without an imatrix: {@code quantize_row_iq4_nl_impl} with {@code ntry = 7} — <em>not</em>
 * {@code quantize_row_iq4_nl_ref}, whose {@code ntry = -1} gives other bytes) and {@code dequantize_row_iq4_nl}.
 * Block {@code { half d; u8 qs[16]; }}, element j in the low nibble of {@code qs[j]}, j+16 in the high one, value
 * {@code d·kvalues_iq4nl[nibble]}. After the scale search ({@link Iq4Math#searchBlock}) every code is re-picked
 * with {@code 1/d} of the fp32 d. An all-zero block gives d = +0 and nibbles 0x88.
 */
public final class IQ4_NLScalar extends WeightedBlockCodec {

    public static final int QK = 32;
    public static final int BLOCK_BYTES = 18;

    public IQ4_NLScalar() {
        super(DType.IQ4_NL, "scalar");
    }

    /** Encodes one block; {@code qw} (nullable) holds its 32 importance values at {@code qo}. */
    public static void encodeBlock(float[] x, int o, float[] qw, int qo, MemorySegment y, long p, float[] weight) {
        float sigma2 = qw == null ? 0 : Iq4Math.sigma2(x, o, QK);
        Iq4Math.weights(x, o, QK, qw, qo, sigma2, weight, 0);
        float d = Iq4Math.searchBlock(x, o, weight, 0);
        write(x, o, d, y, p);
    }

    /** Stores {@code fp16(d)} and the codes re-picked with {@code id = d ? 1/d : 0}. */
    public static void write(float[] x, int o, float d, MemorySegment y, long p) {
        float id = d != 0 ? 1 / d : 0;
        byte[] b = new byte[BLOCK_BYTES];
        short dh = Fp16.fromFloat(d);
        b[0] = (byte) dh;
        b[1] = (byte) (dh >> 8);
        for (int j = 0; j < 16; ++j) {
            int lo = Iq4Math.bestIndex(id * x[o + j]);
            int hi = Iq4Math.bestIndex(id * x[o + j + 16]);
            b[2 + j] = (byte) (lo | (hi << 4));
        }
        MemorySegment.copy(b, 0, y, BYTE, p, BLOCK_BYTES);
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        float[] weight = new float[QK];
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, importance, importanceOffset + i * QK, dst,
                    dstOffset + (long) i * BLOCK_BYTES, weight);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        byte[] b = new byte[BLOCK_BYTES];
        for (int i = 0; i < blocks; i++) {
            MemorySegment.copy(src, BYTE, srcOffset + (long) i * BLOCK_BYTES, b, 0, BLOCK_BYTES);
            float d = Fp16.toFloat((short) ((b[0] & 0xFF) | (b[1] << 8)));
            int o = dstOffset + i * QK;
            for (int j = 0; j < 16; ++j) {
                int q = b[2 + j] & 0xFF;
                dst[o + j] = d * Iq4Math.VALUES[q & 0xF];
                dst[o + j + 16] = d * Iq4Math.VALUES[q >> 4];
            }
        }
    }
}
