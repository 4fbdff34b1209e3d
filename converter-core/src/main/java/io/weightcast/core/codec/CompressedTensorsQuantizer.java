package io.weightcast.core.codec;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * compressed-tensors' symmetric quantization of the rows of one weight ({@link CompressedTensorsMath}, hf-formats.md
 * §5.2): per row, each group of {@code groupSize} values (the whole row per channel) gets the scale
 * {@code absmax / halfRange} in the scale dtype, or every value uses one per-tensor scale; values become FP8 e4m3
 * bytes, int8 bytes, or b-bit integers packed into int32 words. The CUDA kernel ({@code compressed.cu}) is a copy of
 * {@link #encodeRows}, operation for operation.
 */
public final class CompressedTensorsQuantizer implements CompressedTensorsRowEncoder {

    /** What a row is stored as. */
    public enum Kind {
        /** float-quantized: one e4m3 byte per value. */
        FP8,
        /** naive-quantized: one int8 byte per value. */
        INT8,
        /** pack-quantized: {@code 32 / bits} values per little-endian int32 word, {@code ceil(cols * bits / 32)} words. */
        PACKED
    }

    private final Kind kind;
    private final int bits;
    private final DType scaleType;
    private final int cols;
    private final int groupSize;
    private final boolean perTensor;
    private final float tensorScale;
    private final float halfRange;

    /**
     * @param groupSize values per scale ({@code cols} per channel or per tensor); divides {@code cols}
     * @param perTensor every value uses {@code tensorScale} (no scales are produced)
     */
    public CompressedTensorsQuantizer(Kind kind, int bits, DType scaleType, int cols, int groupSize,
            boolean perTensor, float tensorScale) {
        if (kind == Kind.PACKED ? bits != 4 && bits != 8 : bits != 8) {
            throw new IllegalArgumentException(kind + " with " + bits + " bits");
        }
        if (cols < 1 || groupSize < 1 || cols % groupSize != 0) {
            throw new IllegalArgumentException(cols + " columns in groups of " + groupSize);
        }
        this.kind = kind;
        this.bits = bits;
        this.scaleType = scaleType;
        this.cols = cols;
        this.groupSize = groupSize;
        this.perTensor = perTensor;
        this.tensorScale = tensorScale;
        this.halfRange = kind == Kind.FP8 ? Fp8.E4M3_MAX : ((1 << bits) - 1) / 2f;
    }

    public Kind kind() {
        return kind;
    }

    public int bits() {
        return bits;
    }

    /** The dtype every torch op of the scheme runs in (the weight's original dtype). */
    public DType scaleType() {
        return scaleType;
    }

    public int cols() {
        return cols;
    }

    public int groupSize() {
        return groupSize;
    }

    public boolean perTensor() {
        return perTensor;
    }

    public float tensorScale() {
        return tensorScale;
    }

    /** 448 for FP8, {@code (2^bits - 1) / 2} for integers. */
    public float halfRange() {
        return halfRange;
    }

    /** Scales per row: 0 per tensor. */
    public int scalesPerRow() {
        return perTensor ? 0 : cols / groupSize;
    }

    /** Stored bytes per row. */
    public int rowBytes() {
        return kind == Kind.PACKED ? 4 * ((cols * bits + 31) / 32) : cols;
    }

    /**
     * Quantizes {@code rows} rows of {@link #cols} values at {@code values[vo..]} (left unchanged): {@link #rowBytes}
     * bytes per row at {@code dst[dstOffset..]} and {@link #scalesPerRow} scales per row at {@code scales[so..]}.
     */
    @Override
    public void encodeRows(float[] values, int vo, int rows, MemorySegment dst, long dstOffset, float[] scales,
            int so) {
        int groups = cols / groupSize;
        int words = (cols * bits + 31) / 32;
        int[] q = new int[cols];
        int[] packed = new int[words];
        for (int r = 0; r < rows; r++) {
            int base = vo + r * cols;
            long out = dstOffset + (long) r * rowBytes();
            for (int g = 0; g < groups; g++) {
                float scale = tensorScale;
                if (!perTensor) {
                    float m = 0f;
                    for (int j = g * groupSize; j < (g + 1) * groupSize; j++) {
                        m = Math.max(m, Math.abs(values[base + j]));
                    }
                    scale = CompressedTensorsMath.scale(scaleType, m, halfRange);
                    scales[so + r * groups + g] = scale;
                }
                for (int j = g * groupSize; j < (g + 1) * groupSize; j++) {
                    if (kind == Kind.FP8) {
                        float v = CompressedTensorsMath.in(scaleType,
                                CompressedTensorsMath.in(scaleType, values[base + j]) / scale);
                        dst.set(Layouts.BYTE, out + j, Fp8.e4m3FromFloat(v));
                    } else {
                        q[j] = CompressedTensorsMath.quantizeInt(scaleType, values[base + j], scale,
                                -(1 << (bits - 1)), (1 << (bits - 1)) - 1);
                    }
                }
            }
            if (kind == Kind.PACKED) {
                CompressedTensorsMath.pack(q, 0, cols, bits, packed, 0);
                for (int w = 0; w < words; w++) {
                    dst.set(Layouts.LE_INT, out + 4L * w, packed[w]);
                }
            } else if (kind == Kind.INT8) {
                for (int j = 0; j < cols; j++) {
                    dst.set(Layouts.BYTE, out + j, (byte) q[j]);
                }
            }
        }
    }
}
