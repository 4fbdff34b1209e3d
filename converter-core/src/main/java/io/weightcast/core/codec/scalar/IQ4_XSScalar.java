package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;

import io.weightcast.core.codec.GgmlRounding;
import io.weightcast.core.codec.Fp16;
import io.weightcast.core.codec.WeightedBlockCodec;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * IQ4_XS reference: ggml's {@code quantize_iq4_xs} ({@code quantize_row_iq4_nl_impl} with super-block 256, block
 * 32, {@code ntry = 7}; also what {@code quantize_row_iq4_xs_ref} runs) and {@code dequantize_row_iq4_xs}. Block
 * {@code { half d; u16 scales_h; u8 scales_l[4]; u8 qs[128]; }}: 8 sub-blocks of 32 with six-bit scales
 * {@code ls} (low nibble in {@code scales_l[ib/2]}, high 2 bits at bit {@code 2·ib} of {@code scales_h}), value
 * {@code (d·(ls − 32))·kvalues_iq4nl[nibble]}. Sub-block scales come from {@link Iq4Math#searchBlock} (σ² over the
 * 256), {@code d = -max_scale/32} (fp32, also for the re-pick), {@code ls = clamp(nearest_int(sc/d), -32, 31)},
 * and the codes are re-picked with {@code 1/(d·ls)}. An all-zero block gives d = 0x8000, scales_h 0xAAAA.
 */
public final class IQ4_XSScalar extends WeightedBlockCodec {

    public static final int QK = 256;
    public static final int BLOCK_BYTES = 136;

    public IQ4_XSScalar() {
        super(DType.IQ4_XS, "scalar");
    }

    /** Per-call scratch for one super-block. */
    public static final class Scratch {
        public final float[] weight = new float[QK];
        public final float[] scales = new float[8];
        public final float[] idl = new float[8];
        public final byte[] out = new byte[BLOCK_BYTES];
    }

    /** Encodes one super-block; {@code qw} (nullable) holds its 256 importance values at {@code qo}. */
    public static void encodeBlock(float[] x, int o, float[] qw, int qo, MemorySegment y, long p, Scratch s) {
        float sigma2 = Iq4Math.sigma2(x, o, QK);
        Iq4Math.weights(x, o, QK, qw, qo, sigma2, s.weight, 0);
        for (int ib = 0; ib < 8; ++ib) {
            s.scales[ib] = Iq4Math.searchBlock(x, o + 32 * ib, s.weight, 32 * ib);
        }
        scalesAndHeader(s);
        for (int ib = 0; ib < 8; ++ib) {
            float idl = s.idl[ib];
            for (int j = 0; j < 16; ++j) {
                int lo = Iq4Math.bestIndex(idl * x[o + 32 * ib + j]);
                int hi = Iq4Math.bestIndex(idl * x[o + 32 * ib + 16 + j]);
                s.out[8 + 16 * ib + j] = (byte) (lo | (hi << 4));
            }
        }
        MemorySegment.copy(s.out, 0, y, BYTE, p, BLOCK_BYTES);
    }

    /**
     * From the 8 sub-block scales in {@code s.scales}: writes d, scales_h and scales_l into {@code s.out[0..8)}
     * and leaves each sub-block's re-pick factor {@code 1/(d·l)} (0 when {@code d·l} is 0) in {@code s.idl}.
     */
    public static void scalesAndHeader(Scratch s) {
        float maxScale = 0;
        float amaxScale = 0;
        for (int ib = 0; ib < 8; ++ib) {
            float absD = Math.abs(s.scales[ib]);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = s.scales[ib];
            }
        }
        float d = -maxScale / 32;
        short dh = Fp16.fromFloat(d);
        byte[] out = s.out;
        out[0] = (byte) dh;
        out[1] = (byte) (dh >> 8);
        float id = d != 0 ? 1 / d : 0.0f;
        int scalesH = 0;
        for (int ib = 0; ib < 8; ++ib) {
            int l = GgmlRounding.nearestInt(id * s.scales[ib]);
            l = Math.max(-32, Math.min(31, l));
            float dl = d * l;
            s.idl[ib] = dl != 0 ? 1 / dl : 0.0f;
            l += 32;
            int lLow = l & 0xF;
            int lHigh = l >> 4;
            if (ib % 2 == 0) {
                out[4 + ib / 2] = (byte) lLow;
            } else {
                out[4 + ib / 2] |= (byte) (lLow << 4);
            }
            scalesH |= lHigh << (2 * ib);
        }
        out[2] = (byte) scalesH;
        out[3] = (byte) (scalesH >> 8);
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance, int importanceOffset,
            MemorySegment dst, long dstOffset) {
        Scratch s = new Scratch();
        for (int i = 0; i < blocks; i++) {
            encodeBlock(src, srcOffset + i * QK, importance, importanceOffset + i * QK, dst,
                    dstOffset + (long) i * BLOCK_BYTES, s);
        }
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        byte[] b = new byte[BLOCK_BYTES];
        for (int i = 0; i < blocks; i++) {
            MemorySegment.copy(src, BYTE, srcOffset + (long) i * BLOCK_BYTES, b, 0, BLOCK_BYTES);
            float d = Fp16.toFloat((short) ((b[0] & 0xFF) | (b[1] << 8)));
            int scalesH = (b[2] & 0xFF) | ((b[3] & 0xFF) << 8);
            int o = dstOffset + i * QK;
            for (int ib = 0; ib < 8; ++ib) {
                int ls = (((b[4 + ib / 2] & 0xFF) >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
                float dl = d * (ls - 32);
                for (int j = 0; j < 16; ++j) {
                    int q = b[8 + 16 * ib + j] & 0xFF;
                    dst[o + 32 * ib + j] = dl * Iq4Math.VALUES[q & 0xF];
                    dst[o + 32 * ib + j + 16] = dl * Iq4Math.VALUES[q >> 4];
                }
            }
        }
    }
}
