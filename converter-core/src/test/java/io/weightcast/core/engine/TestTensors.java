package io.weightcast.core.engine;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

/** In-memory tensors for engine and plan tests. */
public final class TestTensors {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TestTensors() {
    }

    public static float[] gaussian(long seed, int n, float scale) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian() * scale;
        }
        return v;
    }

    /** An F32 tensor view over a heap copy of {@code values}. */
    public static TensorView f32(String name, float[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) {
            seg.setAtIndex(F32, i, values[i]);
        }
        return new TensorView(name, shape, DType.F32, seg, Path.of("memory.safetensors"), 0);
    }

    public static TensorView of(String name, DType type, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return new TensorView(name, shape, type, MemorySegment.ofArray(new byte[(int) type.byteSize(n)]),
                Path.of("memory.safetensors"), 0);
    }
}
