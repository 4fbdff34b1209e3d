package io.weightcast.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * The hot loop of bnb 4-bit encoding, in two twins: {@link #scalar()} ({@link Bnb#quantize4}) and a Vector API
 * implementation, chosen like the codecs by {@link KernelProvider}. Both give the same bytes.
 */
public interface Bnb4BitKernel {

    /** See {@link Bnb#quantize4}; {@code n} is a whole number of blocks, or ends the tensor. */
    void quantize4(boolean nf4, float[] src, int off, int n, int blocksize, float[] absmax, int absOff,
            MemorySegment dst, long dstOffset);

    String implementation();

    static Bnb4BitKernel scalar() {
        return new Bnb4BitKernel() {
            @Override
            public void quantize4(boolean nf4, float[] src, int off, int n, int blocksize, float[] absmax,
                    int absOff, MemorySegment dst, long dstOffset) {
                Bnb.quantize4(nf4, src, off, n, blocksize, absmax, absOff, dst, dstOffset);
            }

            @Override
            public String implementation() {
                return "scalar";
            }
        };
    }

    /** The Vector API twin, when the kernels are available. */
    static java.util.Optional<Bnb4BitKernel> vector() {
        if (!KernelProvider.vectorAvailable()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of((Bnb4BitKernel) Class.forName("io.weightcast.core.codec.vector.Bnb4BitVector")
                    .getConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            return java.util.Optional.empty();
        }
    }

    /** The implementation to use in this JVM. */
    static Bnb4BitKernel selected() {
        return KernelProvider.selected() == KernelProvider.Implementation.VECTOR ? vector().orElse(scalar())
                : scalar();
    }
}
