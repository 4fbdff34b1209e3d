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
        checkRows(type, src, srcOffset, rows, rowLength, importance, dst, dstOffset);
        int bb = type.blockBytes();
        Scratch s = new Scratch();
        float[] weight = s.weight;
        long p = dstOffset;
        for (int r = 0; r < rows; r++) {
            int x0 = srcOffset + r * rowLength;
            float sigma2 = sigma2(src, x0, rowLength);
            for (int ib = 0; ib < rowLength / 32; ++ib, p += bb) {
                int xb = x0 + 32 * ib;
                for (int j = 0; j < 32; ++j) {
                    float v = src[xb + j];
                    weight[j] = importance[32 * ib + j] * (float) Math.sqrt(sigma2 + v * v);
                }
                encodeBlock(type, src, xb, weight, 0, dst, p, s);
            }
        }
    }

    /** The argument checks of {@link #encodeRows}. */
    public static void checkRows(DType type, float[] src, int srcOffset, int rows, int rowLength,
            float[] importance, MemorySegment dst, long dstOffset) {
        Objects.requireNonNull(importance, "importance");
        switch (type) {
            case Q4_0, Q4_1, Q5_0, Q5_1 -> { }
            default -> throw new IllegalArgumentException(type + " has no legacy imatrix encoder");
        }
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
        Objects.checkFromIndexSize(dstOffset, (long) (count / 32) * type.blockBytes(), dst.byteSize());
    }

    /** {@code sigma2 = Σx²/n_per_row} over the row at {@code x0}, a sequential float sum in index order. */
    public static float sigma2(float[] src, int x0, int rowLength) {
        float sumX2 = 0;
        for (int j = 0; j < rowLength; ++j) {
            sumX2 += src[x0 + j] * src[x0 + j];
        }
        return sumX2 / rowLength;
    }

    /** Work arrays of {@link #encodeBlock}. */
    public static final class Scratch {
        public final float[] weight = new float[32];
        final byte[] qx = new byte[32];
        final int[] L = new int[32];
        final int[] laux = new int[32];
        final float[] theMin = new float[1];
    }

    /** One block at {@code src[xb..xb+32)} with its weights {@code weight[wo..wo+32)}, to {@code dst} at {@code p}. */
    public static void encodeBlock(DType type, float[] src, int xb, float[] weight, int wo, MemorySegment dst,
            long p, Scratch s) {
        int[] L = s.L;
        switch (type) {
            case Q4_0 -> pack(type, qx(32, 8, src, xb, s.qx, L, weight, wo), 0, L, 0, dst, p);
            case Q5_0 -> pack(type, qx(32, 16, src, xb, s.qx, L, weight, wo), 0, L, 0, dst, p);
            case Q4_1, Q5_1 -> {
                float d = KQuantAsymmetric.makeQkx(32, type == DType.Q4_1 ? 15 : 31, src, xb, weight, wo, L, 0,
                        s.laux, -0.9f, 0.05f, 36, false, true, s.theMin, 0);
                pack(type, d, s.theMin[0], L, 0, dst, p);
            }
            default -> throw new IllegalArgumentException(type + " has no legacy imatrix encoder");
        }
    }

    /**
     * Writes one block: scale {@code d}, for Q4_1/Q5_1 the min {@code -theMin}, and the 32 codes {@code L[lo..]}
     * (0..15 or 0..31).
     */
    public static void pack(DType type, float d, float theMin, int[] L, int lo, MemorySegment dst, long p) {
        dst.set(LE_SHORT, p, Fp16.fromFloat(d));
        switch (type) {
            case Q4_0 -> packQ4(L, lo, dst, p + 2);
            case Q5_0 -> dst.set(LE_INT, p + 2, packQ5(L, lo, dst, p + 6));
            case Q4_1 -> {
                dst.set(LE_SHORT, p + 2, Fp16.fromFloat(-theMin));
                packQ4(L, lo, dst, p + 4);
            }
            case Q5_1 -> {
                dst.set(LE_SHORT, p + 2, Fp16.fromFloat(-theMin));
                dst.set(LE_INT, p + 4, packQ5(L, lo, dst, p + 8));
            }
            default -> throw new IllegalArgumentException(type + " has no legacy imatrix encoder");
        }
    }

    private static void packQ4(int[] L, int lo, MemorySegment dst, long qs) {
        for (int j = 0; j < 16; ++j) {
            dst.set(BYTE, qs + j, (byte) (L[lo + j] | (L[lo + j + 16] << 4)));
        }
    }

    /** {@code make_qx_quants} into {@code qx}, its codes (0..2·nmax) widened into {@code L}. */
    private static float qx(int n, int nmax, float[] x, int xo, byte[] qx, int[] L, float[] weight, int wo) {
        float d = KQuantSymmetric.makeQxQuants(n, nmax, x, xo, qx, 0, weight, wo);
        for (int j = 0; j < n; ++j) {
            L[j] = qx[j] & 0xFF;
        }
        return d;
    }

    /** Writes the 16 low-nibble bytes of 5-bit codes at {@code qs} and returns {@code qh}. */
    private static int packQ5(int[] L, int lo, MemorySegment dst, long qs) {
        int qh = 0;
        for (int j = 0; j < 16; ++j) {
            int xi0 = L[lo + j];
            int xi1 = L[lo + j + 16];
            dst.set(BYTE, qs + j, (byte) ((xi0 & 0x0F) | ((xi1 & 0x0F) << 4)));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        return qh;
    }
}
