package io.weightcast.core.verify;

import io.weightcast.core.codec.Codec;
import io.weightcast.core.codec.Codecs;
import io.weightcast.core.engine.TransformedReader;
import io.weightcast.core.layout.LogicalTensor;
import io.weightcast.core.plan.SourceTransform;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.util.Arrays;

/** Compares two tensors of equal element count, decoding both to f32 a chunk at a time. */
public final class TensorComparator {
    private static final int CHUNK_ELEMENTS = 1 << 18;

    private TensorComparator() {
    }

    public static TensorStats compare(String name, TensorView reference, TensorView candidate) {
        return compare(name, reference, SourceTransform.NONE, candidate);
    }

    /**
     * Compares {@code candidate} with {@code reference} seen through {@code transform} (the transform the
     * conversion applied, e.g. the rotary row permutation or Gemma's +1 on norms), so a converted tensor is
     * compared with what it should hold.
     */
    public static TensorStats compare(String name, TensorView reference, SourceTransform transform,
                                      TensorView candidate) {
        long n = reference.elementCount();
        if (n != candidate.elementCount()) {
            throw new IllegalArgumentException("tensor '" + name + "': reference has " + n
                    + " elements but candidate has " + candidate.elementCount() + " ("
                    + Arrays.toString(reference.shape()) + " vs " + Arrays.toString(candidate.shape()) + ")");
        }
        if (!Codecs.supports(reference.dtype()) || !Codecs.supports(candidate.dtype())) {
            return compareBytes(name, reference, candidate);
        }
        Codec refCodec = Codecs.forType(reference.dtype());
        Codec candCodec = Codecs.forType(candidate.dtype());
        int granule = lcm(reference.dtype().blockSize(), candidate.dtype().blockSize());
        int chunk = Math.max(granule, (CHUNK_ELEMENTS / granule) * granule);
        float[] r = new float[chunk];
        float[] c = new float[chunk];
        ErrorAccumulator acc = new ErrorAccumulator();
        for (long start = 0; start < n; start += chunk) {
            int count = (int) Math.min(chunk, n - start);
            if (transform.isIdentity()) {
                refCodec.decode(reference.data(), reference.dtype().byteSize(start), count, r, 0);
            } else {
                TransformedReader.read(reference, transform, start, count, r, 0);
            }
            candCodec.decode(candidate.data(), candidate.dtype().byteSize(start), count, c, 0);
            acc.add(r, c, count);
        }
        return new TensorStats(name, n, reference.dtype(), candidate.dtype(), acc.relativeRmse(),
                acc.maxAbsError(), acc.cosine());
    }

    /** Compares two logical tensors (either may be a quantized group), dequantizing both a chunk at a time. */
    public static TensorStats compareLogical(String name, LogicalTensor reference, LogicalTensor candidate) {
        long n = reference.elementCount();
        if (n != candidate.elementCount()) {
            throw new IllegalArgumentException("tensor '" + name + "': reference has " + n
                    + " elements but candidate has " + candidate.elementCount() + " ("
                    + Arrays.toString(reference.shape()) + " vs " + Arrays.toString(candidate.shape()) + ")");
        }
        int chunk = (int) Math.min(CHUNK_ELEMENTS, Math.max(1, n));
        float[] r = new float[chunk];
        float[] c = new float[chunk];
        ErrorAccumulator acc = new ErrorAccumulator();
        for (long start = 0; start < n; start += chunk) {
            int count = (int) Math.min(chunk, n - start);
            reference.source().decode(start, count, r, 0);
            candidate.source().decode(start, count, c, 0);
            acc.add(r, c, count);
        }
        return new TensorStats(name, n, storedType(reference), storedType(candidate), acc.relativeRmse(),
                acc.maxAbsError(), acc.cosine());
    }

    private static DType storedType(LogicalTensor t) {
        return t.parts().get(0).dtype();
    }

    /** Types without a float codec (integers, bools) must round-trip byte for byte. */
    private static TensorStats compareBytes(String name, TensorView reference, TensorView candidate) {
        DType rt = reference.dtype();
        boolean equal = rt == candidate.dtype() && reference.data().mismatch(candidate.data()) == -1;
        return new TensorStats(name, reference.elementCount(), rt, candidate.dtype(),
                equal ? 0 : Double.POSITIVE_INFINITY, equal ? 0 : Double.POSITIVE_INFINITY, equal ? 1 : 0);
    }

    private static int lcm(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }
}
