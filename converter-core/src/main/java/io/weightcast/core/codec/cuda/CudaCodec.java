package io.weightcast.core.codec.cuda;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * A {@link Codec} that runs a type's CUDA kernels on one device. One generic class for every type: the kernels are
 * named by {@link CudaKernels}. Each call batches all of its blocks into as few launches as the lane size allows
 * (see {@link CudaDevice#transcode}); the bytes equal the scalar reference's. Worth it for large inputs only: the
 * engine sends whole chunks of millions of elements.
 */
public final class CudaCodec extends BlockCodec {

    private final CudaDevice device;

    private CudaCodec(DType type, CudaDevice device) {
        super(type, "cuda:" + device.ordinal());
        this.device = device;
    }

    /** The CUDA codec of a type on a device, or empty when weightcast has no kernels for the type. */
    public static Optional<Codec> of(DType type, CudaDevice device) {
        return CudaKernels.spec(type) == null ? Optional.empty() : Optional.of(new CudaCodec(type, device));
    }

    /** As the scalar reference: an importance matrix is refused, not ignored, where ggml would use it. */
    @Override
    public boolean usesImportance() {
        return Codecs.scalar(type()).usesImportance();
    }

    /**
     * Rows weighted by an importance matrix: on the GPU for types with a weighted kernel (k-quants, IQ4), on the
     * CPU codec for the others.
     */
    @Override
    public void encodeRows(float[] src, int srcOffset, int rows, int rowLength, float[] importance,
            MemorySegment dst, long dstOffset) {
        if (importance == null) {
            encode(src, srcOffset, Math.multiplyExact(rows, rowLength), dst, dstOffset);
            return;
        }
        if (!CudaKernels.encodesImportance(type())) {
            // no weighted kernel (legacy types): the CPU codec, which implements or refuses it like the reference
            Codecs.forType(type()).encodeRows(src, srcOffset, rows, rowLength, importance, dst, dstOffset);
            return;
        }
        long n = Math.multiplyExact((long) rows, rowLength);
        java.util.Objects.checkFromIndexSize(srcOffset, n, src.length);
        device.transcode(DType.F32, MemorySegment.ofArray(src), 4L * srcOffset, type(), dst, dstOffset, n,
                importance, rowLength, 0);
    }

    public CudaDevice device() {
        return device;
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        device.transcode(DType.F32, MemorySegment.ofArray(src), 4L * srcOffset, type(), dst, dstOffset,
                (long) blocks * type().blockSize());
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        device.transcode(type(), src, srcOffset, DType.F32, MemorySegment.ofArray(dst), 4L * dstOffset,
                (long) blocks * type().blockSize());
    }
}
