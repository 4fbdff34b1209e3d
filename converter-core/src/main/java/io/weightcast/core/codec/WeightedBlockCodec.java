package io.weightcast.core.codec;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A {@link BlockCodec} whose ggml quantizer takes an importance matrix (imatrix). Subclasses implement one
 * kernel, {@link #encodeBlocks(float[], int, int, float[], int, MemorySegment, long)}, with {@code importance}
 * null for the plain path ({@link #encode}) and non-null for the weighted one ({@link #encodeRows}); block
 * {@code k} of a call uses {@code importance[importanceOffset + k·blockSize ..]}, as ggml offsets
 * {@code quant_weights} by the block's column.
 */
public abstract class WeightedBlockCodec extends BlockCodec {

    protected WeightedBlockCodec(DType type, String implementation) {
        super(type, implementation);
    }

    @Override
    public final boolean usesImportance() {
        return true;
    }

    @Override
    public final void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        encodeRows(this, src, srcOffset, rows, rowLength, importance, dst, dstOffset,
                (x, xo, blocks, qw, y, p) -> encodeBlocks(x, xo, blocks, qw, 0, y, p));
    }

    /**
     * Encodes {@code blocks} consecutive blocks of one row from {@code x[xo..]} into {@code y} at {@code p},
     * weighted by {@code qw} (the row's importance: block b uses {@code qw[blockSize·b ..]}).
     */
    @FunctionalInterface
    public interface RowEncoder {
        void encode(float[] x, int xo, int blocks, float[] qw, MemorySegment y, long p);
    }

    /**
     * The {@code encodeRows} of every imatrix codec: checks the arguments, then encodes each row with the
     * importance weights of its columns, as ggml's {@code quantize_<type>} does row by row. Without importance
     * it is {@code codec.encode}.
     */
    public static void encodeRows(BlockCodec codec, float[] src, int srcOffset, int rows, int rowLength,
            float[] importance, MemorySegment dst, long dstOffset, RowEncoder enc) {
        DType t = codec.type();
        int bs = t.blockSize();
        if (rows < 0 || rowLength < 0 || rowLength % bs != 0) {
            throw new IllegalArgumentException(rows + " rows of " + rowLength + " elements are not whole " + t
                    + " blocks of " + bs);
        }
        int count = Math.multiplyExact(rows, rowLength);
        if (importance == null) {
            codec.encode(src, srcOffset, count, dst, dstOffset);
            return;
        }
        if (importance.length < rowLength) {
            throw new IllegalArgumentException("importance has " + importance.length + " values, rows have "
                    + rowLength);
        }
        int blocks = rowLength / bs;
        long rowBytes = (long) blocks * t.blockBytes();
        Objects.checkFromIndexSize(srcOffset, count, src.length);
        Objects.checkFromIndexSize(dstOffset, rowBytes * rows, dst.byteSize());
        for (int r = 0; r < rows; r++) {
            enc.encode(src, srcOffset + r * rowLength, blocks, importance, dst, dstOffset + r * rowBytes);
        }
    }

    @Override
    protected final void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        encodeBlocks(src, srcOffset, blocks, null, 0, dst, dstOffset);
    }

    /** Encodes whole blocks, weighted by {@code importance} when it is not null; arguments are already checked. */
    protected abstract void encodeBlocks(float[] src, int srcOffset, int blocks, float[] importance,
            int importanceOffset, MemorySegment dst, long dstOffset);
}
