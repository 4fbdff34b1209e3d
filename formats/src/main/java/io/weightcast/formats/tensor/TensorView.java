package io.weightcast.formats.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of an opened model file: its name, its shape in PyTorch order (outermost first; GGUF's ne[] is the
 * reverse), its storage type and a zero-copy view on its bytes in the mapped file.
 *
 * @param file       the file the bytes live in (for error messages)
 * @param fileOffset the absolute byte offset of {@code data} in that file
 */
public record TensorView(String name, long[] shape, DType dtype, MemorySegment data, Path file, long fileOffset) {

    public TensorView {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long elementCount() {
        return Shapes.elementCount(shape);
    }

    /** Elements in one row: the innermost dimension (1 for a 0-dim tensor). */
    public long rowLength() {
        return shape.length == 0 ? 1 : shape[shape.length - 1];
    }

    public long byteSize() {
        return data.byteSize();
    }

    public TensorSpec spec() {
        return new TensorSpec(name, shape, dtype);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + ' ' + dtype;
    }
}
