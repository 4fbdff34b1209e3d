package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Q4_K reference, after ggml's {@code quantize_row_q4_K_ref} (no imatrix), {@code quantize_row_q4_K_impl}
 * (imatrix) and {@code dequantize_row_q4_K}: block {@code { half d; half dmin; u8 scales[12]; u8 qs[128]; }},
 * 8 sub-blocks of 32 with six-bit scale and min ({@code get_scale_min_k4}), value {@code d·sc·q − dmin·m}.
 *
 * <p>Reference: per sub-block weights {@code √(Σx²/32) + |x|}, {@code make_qkx2_quants(32, 15, …, −1, 0.1,
 * 20)}; scales and mins to six bits against their maxima; {@code d = fp16(max_scale/63)}, {@code dmin =
 * fp16(max_min/63)}; codes recomputed with the fp16 scales. Weighted: {@code σ² = 2Σx²/256}, weights
 * {@code qw·√(σ² + x²)}, {@code make_qkx3_quants(32, 15, …, −0.9, 0.05, 36)}, scales and mins by
 * {@code make_qp_quants(8, 63, …, Σw)}.
 */
public final class Q4_KScalar extends KQuantAsymmetricCodec {

    public static final int BLOCK_BYTES = 144;
    private static final Q4_KScalar REFERENCE = new Q4_KScalar();

    public Q4_KScalar() {
        super(DType.Q4_K, new Shape(15, -1.0f, 0.1f, 20, BLOCK_BYTES, false));
    }

    /** {@code quantize_row_q4_K_ref} of one super-block. */
    public static void encodeBlock(float[] x, int o, MemorySegment y, long p) {
        REFERENCE.encodeBlock(x, o, y, p, new Scratch());
    }

    /** {@code quantize_row_q4_K_impl} of one super-block with its 256 importance weights {@code qw[qo..]}. */
    public static void encodeBlockWeighted(float[] x, int o, float[] qw, int qo, MemorySegment y, long p) {
        REFERENCE.encodeBlockWeighted(x, o, qw, qo, y, p, new Scratch());
    }

    /** {@code qs[32c + l]}: element {@code 64c + l} in the low nibble, {@code 64c + 32 + l} in the high one. */
    @Override
    protected void packCodes(int[] L, MemorySegment y, long p) {
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                y.set(BYTE, p + 16 + 32 * c + l, (byte) (L[64 * c + l] | (L[64 * c + l + 32] << 4)));
            }
        }
    }

    @Override
    protected int code(MemorySegment x, long p, int c, int l, boolean high) {
        int b = x.get(BYTE, p + 16 + 32 * c + l) & 0xFF;
        return high ? b >> 4 : b & 0xF;
    }
}
