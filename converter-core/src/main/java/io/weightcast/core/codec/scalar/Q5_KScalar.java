package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q5_K reference, after ggml's {@code quantize_row_q5_K_ref} (no imatrix), {@code quantize_row_q5_K_impl}
 * (imatrix) and {@code dequantize_row_q5_K}: block {@code { half d; half dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }},
 * 8 sub-blocks of 32 with six-bit scale and min ({@code get_scale_min_k4}), value {@code d·sc·q − dmin·m}, q in
 * 0..31: low nibbles as Q4_K, bit 4 of element {@code 64c + l} ({@code 64c + 32 + l}) in bit {@code 2c}
 * ({@code 2c+1}) of {@code qh[l]}.
 *
 * <p>Reference: per sub-block weights {@code √(Σx²/32) + |x|}, {@code make_qkx2_quants(32, 31, …, −0.5, 0.1,
 * 15)}; scales and mins to six bits against their maxima; {@code d = fp16(max_scale/63)}, {@code dmin =
 * fp16(max_min/63)}; codes recomputed with the fp16 scales. Weighted: {@code σ² = 2Σx²/256}, weights
 * {@code qw·√(σ² + x²)}, {@code make_qkx3_quants(32, 31, …, −0.9, 0.05, 36)}, scales and mins by
 * {@code make_qp_quants(8, 63, …, Σw)} (then {@code min(63, ·)}).
 */
public final class Q5_KScalar extends KQuantAsymmetricCodec {

    public static final int BLOCK_BYTES = 176;
    private static final Q5_KScalar REFERENCE = new Q5_KScalar();

    public Q5_KScalar() {
        super(DType.Q5_K, new Shape(31, -0.5f, 0.1f, 15, BLOCK_BYTES, true));
    }

    /** {@code quantize_row_q5_K_ref} of one super-block. */
    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        REFERENCE.encodeBlock(x, o, y, p, new Scratch());
    }

    /** {@code quantize_row_q5_K_impl} of one super-block with its 256 importance weights {@code qw[qo..]}. */
    public static void encodeBlockWeighted(float[] x, int o, float[] qw, int qo, MemorySegment y, long p) {
        REFERENCE.encodeBlockWeighted(x, o, qw, qo, y, p, new Scratch());
    }

    /** Low nibbles as Q4_K in {@code qs} (after {@code qh}); bit 4 of {@code 64c + l} ({@code 64c + 32 + l}) in bit {@code 2c} ({@code 2c+1}) of {@code qh[l]}. */
    @Override
    protected void packCodes(int[] L, MemorySegment y, long p) {
        for (int l = 0; l < 32; l++) {
            int qh = 0;
            for (int c = 0; c < 4; c++) {
                int l1 = L[64 * c + l];
                int l2 = L[64 * c + l + 32];
                qh |= (l1 >> 4) << (2 * c) | (l2 >> 4) << (2 * c + 1);
                y.set(BYTE, p + 48 + 32 * c + l, (byte) ((l1 & 0xF) | ((l2 & 0xF) << 4)));
            }
            y.set(BYTE, p + 16 + l, (byte) qh);
        }
    }

    @Override
    protected int code(MemorySegment x, long p, int c, int l, boolean high) {
        int b = x.get(BYTE, p + 48 + 32 * c + l) & 0xFF;
        int h = x.get(BYTE, p + 16 + l) >> (2 * c);
        return high ? (b >> 4) + ((h & 2) != 0 ? 16 : 0) : (b & 0xF) + ((h & 1) != 0 ? 16 : 0);
    }
}
