package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_INT;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.Fp16;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The importance-weighted (imatrix) encoders of the legacy 32-element types, ggml's
 * {@code quantize_row_q4_0_impl}, {@code _q4_1_impl}, {@code _q5_0_impl}, {@code _q5_1_impl} (gguf.md §3.1, §3.2,
 * §3.5), with the two searches they use: {@code make_qx_quants} (symmetric, {@code rmse_type} 1 here) and
 * {@code make_qkx3_quants} (asymmetric). Every sum is a sequential float sum in index order and every expression is
 * evaluated in C's order and types, because the peer (the x86-64 baseline build) does plain IEEE float operations
 * without contraction; no FMA anywhere.
 *
 * <p>Weights per element: {@code w = qw[j]·sqrtf(sigma2 + x²)} with {@code sigma2 = Σx²/n_per_row} over the whole
 * row — hence rows, not blocks, are the unit here.
 *
 * <p>The searches are the k-quants' own: {@code make_qx_quants} is {@link KQuantSymmetric#makeQxQuants},
 * {@code make_qkx3_quants} is {@link KQuantAsymmetric#makeQkx} with {@code qkx3}.
 */
public final class LegacyImatrixMath {

    private LegacyImatrixMath() {}

    /**
     * ggml's {@code quantize_<type>(src, dst, rows, rowLength, importance)} for Q4_0, Q4_1, Q5_0 or Q5_1 with a
     * non-null importance matrix of at least {@code rowLength} weights (the same for every row).
     */
    public static void encodeRows(DType type, float[] src, int srcOffset, int rows, int rowLength,
            float[] importance, MemorySegment dst, long dstOffset) {
        Objects.requireNonNull(importance, "importance");
        if (rows < 0 || rowLength < 0 || rowLength % 32 != 0) {
            throw new IllegalArgumentException(rowLength + " elements per row are not whole " + type
                    + " blocks of 32 (or rows " + rows + " < 0)");
        }
        if (importance.length < rowLength) {
            throw new IllegalArgumentException("importance has " + importance.length + " weights, rows have "
                    + rowLength + " elements");
        }
        int count = Math.multiplyExact(rows, rowLength);
        Objects.checkFromIndexSize(srcOffset, count, src.length);
        int bb = type.blockBytes();
        Objects.checkFromIndexSize(dstOffset, (long) (count / 32) * bb, dst.byteSize());
        float[] weight = new float[32];
        byte[] qx = new byte[32];
        int[] L = new int[32];
        int[] laux = new int[32];
        float[] theMin = new float[1];
        long p = dstOffset;
        for (int r = 0; r < rows; r++) {
            int x0 = srcOffset + r * rowLength;
            float sumX2 = 0;
            for (int j = 0; j < rowLength; ++j) {
                sumX2 += src[x0 + j] * src[x0 + j];
            }
            float sigma2 = sumX2 / rowLength;
            for (int ib = 0; ib < rowLength / 32; ++ib, p += bb) {
                int xb = x0 + 32 * ib;
                for (int j = 0; j < 32; ++j) {
                    float v = src[xb + j];
                    weight[j] = importance[32 * ib + j] * (float) Math.sqrt(sigma2 + v * v);
                }
                switch (type) {
                    case Q4_0 -> {
                        float d = qx(32, 8, src, xb, qx, L, weight);
                        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
                        for (int j = 0; j < 16; ++j) {
                            dst.set(BYTE, p + 2 + j, (byte) (L[j] | (L[j + 16] << 4)));
                        }
                    }
                    case Q5_0 -> {
                        float d = qx(32, 16, src, xb, qx, L, weight);
                        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
                        dst.set(LE_INT, p + 2, packQ5(L, dst, p + 6));
                    }
                    case Q4_1 -> {
                        float d = KQuantAsymmetric.makeQkx(32, 15, src, xb, weight, 0, L, 0, laux, -0.9f, 0.05f,
                                36, false, true, theMin, 0);
                        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
                        dst.set(LE_SHORT, p + 2, Fp16.fromFloat(-theMin[0]));
                        for (int j = 0; j < 16; ++j) {
                            dst.set(BYTE, p + 4 + j, (byte) (L[j] | (L[j + 16] << 4)));
                        }
                    }
                    case Q5_1 -> {
                        float d = KQuantAsymmetric.makeQkx(32, 31, src, xb, weight, 0, L, 0, laux, -0.9f, 0.05f,
                                36, false, true, theMin, 0);
                        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
                        dst.set(LE_SHORT, p + 2, Fp16.fromFloat(-theMin[0]));
                        dst.set(LE_INT, p + 4, packQ5(L, dst, p + 8));
                    }
                    default -> throw new IllegalArgumentException(type + " has no legacy imatrix encoder");
                }
            }
        }
    }

    /** {@code make_qx_quants} into {@code qx}, its codes (0..2·nmax) widened into {@code L}. */
    private static float qx(int n, int nmax, float[] x, int xo, byte[] qx, int[] L, float[] weight) {
        float d = KQuantSymmetric.makeQxQuants(n, nmax, x, xo, qx, 0, weight, 0);
        for (int j = 0; j < n; ++j) {
            L[j] = qx[j] & 0xFF;
        }
        return d;
    }

    /** Writes the 16 low-nibble bytes of 5-bit codes at {@code qs} and returns {@code qh}. */
    private static int packQ5(int[] L, MemorySegment dst, long qs) {
        int qh = 0;
        for (int j = 0; j < 16; ++j) {
            int xi0 = L[j];
            int xi1 = L[j + 16];
            dst.set(BYTE, qs + j, (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        return qh;
    }
}
