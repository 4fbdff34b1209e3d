package io.weightcast.core.codec.cuda;

import io.weightcast.core.codec.Bnb;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One pre-quantized Hugging Face weight as a kernel of {@code hfdecode.cu} sees it: the stored bytes, up to two float
 * vectors ({@code a}: absmax, SCB or scales; {@code b}: the quant_map or the zero points) and the kernel's
 * parameters. Pure Java (no JCuda): {@link #piece} says which bytes and vector entries a range of elements needs,
 * mirroring the kernels' index math, and {@link #decode} runs pieces through a {@link Kernel} (the GPU in
 * {@link CudaHfDecode}, a Java emulation in tests) and hands what the kernel cannot do to the CPU decoder.
 *
 * @param kind   which kernel
 * @param src    the main stored tensor's bytes (codes, int8/e4m3 weights, packed words)
 * @param a      the first vector (never null)
 * @param b      the second vector, or an empty array
 * @param params {@code p0..p5} of the kernel (see hfdecode.cu)
 */
public record HfDecode(Kind kind, MemorySegment src, float[] a, float[] b, long[] params) {

    /** Elements per kernel launch at most: 16 Mi (64 MiB of f32 output), the engine's GPU chunk. */
    public static final int CHUNK = 1 << 24;
    /** Threads per CTA of every kernel, one element each (WC_HFD_THREADS). */
    static final int THREADS = 256;
    /** What a single scale (per tensor) passes as its group size: every column maps to index 0. */
    static final long SINGLE_GS = Long.MAX_VALUE;

    /** The kernels of {@code hfdecode.cu}. */
    public enum Kind {
        BNB4("wc_hfd_bnb4"),
        INT8("wc_hfd_int8"),
        FP8_BLOCK("wc_hfd_fp8_block"),
        CT_PACKED("wc_hfd_ct_packed"),
        CT_PLAIN("wc_hfd_ct_plain");

        public final CudaKernels.Kernel kernel;

        Kind(String function) {
            this.kernel = new CudaKernels.Kernel("hfdecode", function, THREADS, THREADS);
        }
    }

    public HfDecode {
        Objects.requireNonNull(kind);
        Objects.requireNonNull(src);
        Objects.requireNonNull(a);
        b = b == null ? new float[0] : b;
        params = java.util.Arrays.copyOf(params, 6);
    }

    /**
     * bitsandbytes NF4/FP4 with the stored quant_map (its first 16 entries: the only ones a 4-bit code reaches) and
     * the (reconstructed) absmax vector.
     */
    public static HfDecode bnb4(MemorySegment packed, float[] quantMap, float[] absmax, int blocksize) {
        if (quantMap.length < 16 || blocksize <= 0) {
            throw new IllegalArgumentException("quant_map of " + quantMap.length + " values, blocksize " + blocksize);
        }
        return new HfDecode(Kind.BNB4, packed, absmax, java.util.Arrays.copyOf(quantMap, 16),
                new long[] {blocksize});
    }

    /** LLM.int8: int8 rows of {@code cols} values times {@code SCB[row] / 127}. */
    public static HfDecode int8(MemorySegment weight, float[] scb, long cols) {
        return new HfDecode(Kind.INT8, weight, scb, null, new long[] {cols, Float.floatToRawIntBits(Bnb.INV_127)});
    }

    /**
     * Fine-grained FP8: e4m3 matrices of {@code rows x cols} (several for a 3-D weight) in tiles of
     * {@code blockM x blockN}, {@code scales} the inverse scales already converted to f32, one per tile.
     */
    public static HfDecode fp8Block(MemorySegment q, float[] scales, long rows, long cols, int blockM, int blockN) {
        return new HfDecode(Kind.FP8_BLOCK, q, scales, null, new long[] {rows, cols, blockM, blockN});
    }

    /**
     * compressed-tensors pack-quantized: rows of {@code words} little-endian int32 words of {@code 32 / bits} values,
     * {@code scales} one per tensor ({@code length 1}) or {@code groups} per row of groups of {@code gs} columns.
     */
    public static HfDecode ctPacked(MemorySegment packed, float[] scales, long cols, long words, int bits,
            long groups, long gs) {
        boolean single = scales.length == 1;
        return new HfDecode(Kind.CT_PACKED, packed, scales, null, new long[] {cols, words, bits, single ? 0 : groups,
                single ? SINGLE_GS : gs});
    }

    /** compressed-tensors int8 or FP8 {@code weight} with scales (as {@link #ctPacked}) and optional zero points. */
    public static HfDecode ctPlain(MemorySegment weight, boolean fp8, float[] scales, float[] zeroPoints, long cols,
            long groups, long gs) {
        boolean single = scales.length == 1;
        int zMode = zeroPoints == null ? 0 : zeroPoints.length == 1 ? 1 : 2;
        return new HfDecode(Kind.CT_PLAIN, weight, scales, zeroPoints, new long[] {cols, single ? 0 : groups,
                single ? SINGLE_GS : gs, fp8 ? 1 : 0, zMode});
    }

    /**
     * What the kernel reads for elements {@code [first, first + count)}: bytes {@code [srcOffset, +srcBytes)} of
     * {@link #src}, entries {@code [aFrom, +aLen)} of {@link #a} and {@code [bFrom, +bLen)} of {@link #b}, each
     * starting where the kernel's index math expects it (see hfdecode.cu).
     */
    public record Piece(long srcOffset, long srcBytes, int aFrom, int aLen, int bFrom, int bLen) {
    }

    /**
     * The piece for {@code [first, first + count)} ({@code count > 0}), or null when an index would fall outside
     * the stored data (a malformed weight: the CPU decoder then fails or copes as it always did).
     */
    public Piece piece(long first, int count) {
        long last = first + count - 1;
        long[] p = params;
        return switch (kind) {
            case BNB4 -> slice(first >> 1, (last >> 1) + 1, first / p[0], last / p[0] + 1, 0, 16);
            case INT8 -> slice(first, last + 1, first / p[0], last / p[0] + 1, 0, 0);
            case FP8_BLOCK -> {
                long rows = p[0];
                long cols = p[1];
                long tilesPerRow = (cols + p[3] - 1) / p[3];
                long tileRows = (rows + p[2] - 1) / p[2];
                long s0 = tileRow(first / cols, rows, p[2], tileRows) * tilesPerRow;
                long s1 = (tileRow(last / cols, rows, p[2], tileRows) + 1) * tilesPerRow;
                yield slice(first, last + 1, s0, s1, 0, 0);
            }
            case CT_PACKED -> {
                long cols = p[0];
                long words = p[1];
                long per = 32 / p[2];
                long r0 = first / cols;
                long r1 = last / cols;
                long w0 = r0 * words + (first - r0 * cols) / per;
                long w1 = r1 * words + (last - r1 * cols) / per + 1;
                yield slice(4 * w0, 4 * w1, r0 * p[3], r1 * p[3] + (cols - 1) / p[4] + 1, 0, 0);
            }
            case CT_PLAIN -> {
                long cols = p[0];
                long r0 = first / cols;
                long r1 = last / cols;
                long s0 = r0 * p[1];
                long s1 = r1 * p[1] + (cols - 1) / p[2] + 1;
                int zMode = (int) p[4];
                yield slice(first, last + 1, s0, s1, zMode == 2 ? s0 : 0, zMode == 0 ? 0 : zMode == 1 ? 1 : s1);
            }
        };
    }

    private Piece slice(long src0, long src1, long a0, long a1, long b0, long b1) {
        if (src0 < 0 || src1 > src.byteSize() || a0 < 0 || a1 > a.length || b0 < 0 || b1 > b.length) {
            return null;
        }
        return new Piece(src0, src1 - src0, (int) a0, (int) (a1 - a0), (int) b0, (int) (b1 - b0));
    }

    /** {@code Fp8BlockQuantizer.dequantize}'s tile row of a row (matrix after matrix). */
    static long tileRow(long row, long rows, long blockM, long tileRows) {
        long matrix = row / rows;
        return matrix * tileRows + (row - matrix * rows) / blockM;
    }

    /** Runs one piece: fills {@code dst[off, off + count)}; true when some value came out NaN. */
    @FunctionalInterface
    public interface Kernel {
        boolean run(HfDecode weight, Piece piece, long first, int count, float[] dst, int off);
    }

    /** The CPU decoder of the same weight (its {@code ElementSource}). */
    @FunctionalInterface
    public interface Cpu {
        void decode(long first, int count, float[] dst, int off);
    }

    /**
     * Decodes {@code [first, first + count)} into {@code dst[off..]} through {@code kernel} in pieces of at most
     * {@link #CHUNK}; a piece the kernel cannot take goes to {@code cpu} whole, and every NaN the kernel wrote is
     * decoded again by {@code cpu} (whose NaN payloads the GPU does not reproduce), so the floats equal the CPU's bit
     * for bit.
     */
    public void decode(long first, int count, float[] dst, int off, Kernel kernel, Cpu cpu) {
        Objects.checkFromIndexSize(off, count, dst.length);
        for (int done = 0; done < count; done += CHUNK) {
            int m = Math.min(CHUNK, count - done);
            long e0 = first + done;
            Piece piece = piece(e0, m);
            if (piece == null) {
                cpu.decode(e0, m, dst, off + done);
            } else if (kernel.run(this, piece, e0, m, dst, off + done)) {
                for (int k = 0; k < m; k++) {
                    if (Float.isNaN(dst[off + done + k])) {
                        cpu.decode(e0 + k, 1, dst, off + done + k);
                    }
                }
            }
        }
    }
}
