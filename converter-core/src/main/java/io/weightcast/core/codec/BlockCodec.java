package io.weightcast.core.codec;

import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Base of every codec: checks arguments once per call and hands whole blocks to the type's kernel. Bounds of
 * the memory segment are checked by the segment accesses themselves.
 */
public abstract class BlockCodec implements Codec {

    private final DType type;
    private final String implementation;

    protected BlockCodec(DType type, String implementation) {
        this.type = type;
        this.implementation = implementation;
    }

    @Override
    public final DType type() {
        return type;
    }

    /** "scalar" or "vector". */
    public final String implementation() {
        return implementation;
    }

    @Override
    public final void encode(float[] src, int srcOffset, int count, MemorySegment dst, long dstOffset) {
        int blocks = checkCount(count);
        Objects.checkFromIndexSize(srcOffset, count, src.length);
        Objects.checkFromIndexSize(dstOffset, (long) blocks * type.blockBytes(), dst.byteSize());
        encodeBlocks(src, srcOffset, blocks, dst, dstOffset);
    }

    @Override
    public final void decode(MemorySegment src, long srcOffset, int count, float[] dst, int dstOffset) {
        int blocks = checkCount(count);
        Objects.checkFromIndexSize(dstOffset, count, dst.length);
        Objects.checkFromIndexSize(srcOffset, (long) blocks * type.blockBytes(), src.byteSize());
        decodeBlocks(src, srcOffset, blocks, dst, dstOffset);
    }

    private int checkCount(int count) {
        int bs = type.blockSize();
        if (count < 0 || count % bs != 0) {
            throw new IllegalArgumentException(
                    count + " elements are not a whole number of " + type + " blocks of " + bs);
        }
        return count / bs;
    }

    /** Encodes {@code blocks} whole blocks; arguments are already checked. */
    protected abstract void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset);

    /** Decodes {@code blocks} whole blocks; arguments are already checked. */
    protected abstract void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset);

    @Override
    public String toString() {
        return type + "/" + implementation;
    }
}
