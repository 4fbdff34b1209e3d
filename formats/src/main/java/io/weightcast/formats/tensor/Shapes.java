package io.weightcast.formats.tensor;

/** Shape arithmetic shared by readers and writers. */
public final class Shapes {
    private Shapes() {
    }

    /**
     * The product of the dimensions (1 for a 0-dim tensor).
     *
     * @throws ArithmeticException on overflow of a signed 64-bit count
     * @throws IllegalArgumentException on a negative dimension
     */
    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d);
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Reverses a shape: PyTorch order (outermost first) to GGUF ne[] order (innermost first), and back. */
    public static long[] reversed(long[] shape) {
        long[] r = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            r[i] = shape[shape.length - 1 - i];
        }
        return r;
    }
}
