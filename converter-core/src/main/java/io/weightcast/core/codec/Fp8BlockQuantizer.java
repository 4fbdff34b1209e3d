package io.weightcast.core.codec;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Fine-grained (block-scaled) FP8 as transformers' {@code FineGrainedFP8Config} writes it (hf-formats.md §4.2):
 * one fp32 {@code weight_scale_inv} per {@code blockM × blockN} tile, weights in e4m3fn.
 *
 * <p>For one tile, exactly as transformers 5.17 computes it on a GPU (checked byte for byte against its
 * output, see {@code Fp8BlockLayoutTest}):
 * <pre>
 *   x     = e4m3(w)                       (only in {@link Mode#TRANSFORMERS}: the loader casts the weight to the
 *                                          float8 parameter dtype before its Fp8Quantize op runs)
 *   m     = max |x| over the tile
 *   scale = fl(fl(1 / m) * 448)           (torch evaluates {@code 448 / t} as {@code t.reciprocal() * 448})
 *   scale = 1 when m == 0
 *   q     = e4m3(clamp(x * scale, -448, 448))   (round to nearest even)
 *   inv   = fl(1 / scale)                 (stored as weight_scale_inv; dequantize: w = q * inv)
 * </pre>
 * {@link Mode#DIRECT} skips the first cast, which is what the formula alone describes and is slightly more
 * accurate (one rounding instead of two).
 *
 * <p>The e4m3 encoding goes through a {@link Codec}, so the Vector API codec and the scalar reference can be
 * swapped and compared byte for byte.
 */
public final class Fp8BlockQuantizer {

    /** Whether the weight is first rounded to e4m3 (what transformers' loader does) or used as it is. */
    public enum Mode { TRANSFORMERS, DIRECT }

    private final Codec e4m3;
    private final Mode mode;

    public Fp8BlockQuantizer(Codec e4m3, Mode mode) {
        if (e4m3.type() != DType.F8_E4M3) {
            throw new IllegalArgumentException("need an F8_E4M3 codec, got " + e4m3.type());
        }
        this.e4m3 = e4m3;
        this.mode = mode;
    }

    public static Fp8BlockQuantizer of(Mode mode) {
        return new Fp8BlockQuantizer(Codecs.forType(DType.F8_E4M3), mode);
    }

    public Mode mode() {
        return mode;
    }

    /**
     * Quantizes a band of {@code rows} full rows of {@code cols} values ({@code rows <= blockM}, {@code cols} a
     * multiple of {@code blockN}). starting at {@code values[vo]}, which are overwritten (scratch). Writes {@code rows*cols} e4m3 bytes at
     * {@code dst[dstOffset..]} and {@code cols/blockN} inverse scales at {@code invScales[invOffset..]}.
     */
    public void quantizeBand(float[] values, int vo, int rows, int cols, int blockN, MemorySegment dst, long dstOffset,
            float[] invScales, int invOffset) {
        if (cols % blockN != 0) {
            throw new IllegalArgumentException(cols + " columns are not a whole number of blocks of " + blockN);
        }
        int n = rows * cols;
        if (mode == Mode.TRANSFORMERS) {
            MemorySegment tmp = MemorySegment.ofArray(new byte[n]);
            e4m3.encode(values, vo, n, tmp, 0);
            e4m3.decode(tmp, 0, n, values, vo);
        }
        int tiles = cols / blockN;
        for (int t = 0; t < tiles; t++) {
            float m = 0f;
            for (int r = 0; r < rows; r++) {
                int base = r * cols + t * blockN;
                for (int j = 0; j < blockN; j++) {
                    m = Math.max(m, Math.abs(values[vo + base + j]));
                }
            }
            float scale = m > 0f ? (1f / m) * Fp8.E4M3_MAX : 1f;
            invScales[invOffset + t] = 1f / scale;
            for (int r = 0; r < rows; r++) {
                int base = r * cols + t * blockN;
                for (int j = 0; j < blockN; j++) {
                    // the codec clamps to ±448 before rounding, as torch.clamp does before the cast
                    values[vo + base + j] *= scale;
                }
            }
        }
        e4m3.encode(values, vo, n, dst, dstOffset);
    }

    /**
     * Dequantizes: {@code w = e4m3(q) * inv[..., row / blockM, col / blockN]}, for any element range;
     * {@code rows} is the matrix height (the last-but-one dimension; leading dimensions such as MoE experts
     * repeat the grid), the grid is ceil-sized.
     */
    public static void dequantize(MemorySegment q, long rows, long cols, int blockM, int blockN,
            MemorySegment inv, DType invType, long first, int count, float[] dst, int dstOffset) {
        long tilesPerRow = (cols + blockN - 1) / blockN;
        long tileRows = (rows + blockM - 1) / blockM;
        for (int i = 0; i < count; i++) {
            long e = first + i;
            long row = e / cols;
            long col = e - row * cols;
            long matrix = row / rows;
            long s = (matrix * tileRows + (row - matrix * rows) / blockM) * tilesPerRow + col / blockN;
            dst[dstOffset + i] = X86Float.mul(Fp8.e4m3ToFloat(q.get(Layouts.BYTE, e)), scaleAt(inv, invType, s));
        }
    }

    /** The inverse scale at index {@code s} of a stored {@code weight_scale_inv} (F32, BF16, F8_E8M0, else F16). */
    public static float scaleAt(MemorySegment inv, DType invType, long s) {
        return invType == DType.F32 ? inv.getAtIndex(Layouts.LE_FLOAT, s)
                : invType == DType.BF16 ? Bf16.toFloat(inv.getAtIndex(Layouts.LE_SHORT, s))
                : invType == DType.F8_E8M0 ? e8m0(inv.get(Layouts.BYTE, s))
                : Fp16.toFloat(inv.getAtIndex(Layouts.LE_SHORT, s));
    }

    private static float e8m0(byte b) {
        int e = b & 0xFF;
        return e == 0xFF ? Float.NaN : Math.scalb(1f, e - 127);
    }
}
