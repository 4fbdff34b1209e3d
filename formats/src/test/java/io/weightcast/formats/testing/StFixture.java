package io.weightcast.formats.testing;

import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds small safetensors checkpoints byte by byte (written with our SafetensorsWriter) for reader tests; shared
 * with the other modules' tests through this module's test jar.
 */
public final class StFixture {
    record T(DType dtype, long[] shape, byte[] bytes) { }

    private final Map<String, T> tensors = new LinkedHashMap<>();

    public StFixture put(String name, DType dt, long[] shape, byte[] bytes) {
        tensors.put(name, new T(dt, shape, bytes));
        return this;
    }

    public StFixture f16(String name, long[] shape, float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            short h = Float.floatToFloat16(f);
            if (Float.float16ToFloat(h) != f) {
                throw new IllegalArgumentException(f + " is not exact in f16");
            }
            b.putShort(h);
        }
        return put(name, DType.F16, shape, b.array());
    }

    public StFixture f32(String name, long[] shape, float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return put(name, DType.F32, shape, b.array());
    }

    public StFixture u32(String name, long[] shape, int... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) {
            b.putInt(x);
        }
        return put(name, DType.U32, shape, b.array());
    }

    /** Writes {@code folder/model.safetensors} and {@code folder/<name>} for each extra JSON file. */
    public Path write(Path folder, Map<String, String> metadata, Map<String, String> files) throws IOException {
        Files.createDirectories(folder);
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((n, t) -> specs.add(new TensorSpec(n, t.shape(), t.dtype())));
        try (SafetensorsWriter w = SafetensorsWriter.create(folder.resolve("model.safetensors"), specs, metadata)) {
            for (T t : tensors.values()) {
                w.write(MemorySegment.ofArray(t.bytes()));
            }
            w.commit();
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            Files.writeString(folder.resolve(e.getKey()), e.getValue());
        }
        return folder;
    }

    public static long[] s(long... d) {
        return d;
    }
}
