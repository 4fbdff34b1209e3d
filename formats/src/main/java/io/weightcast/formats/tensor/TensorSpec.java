package io.weightcast.formats.tensor;

import java.util.Arrays;

/**
 * What a writer needs to know about a tensor before its bytes arrive: name, shape (PyTorch order) and type.
 * Writers lay out headers from specs up front, then take the data streamed in the same order.
 */
public record TensorSpec(String name, long[] shape, DType dtype) {

    public TensorSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return Shapes.elementCount(shape);
    }

    public long byteSize() {
        return dtype.byteSize(elementCount());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && Arrays.equals(shape, t.shape) && dtype == t.dtype;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + ' ' + dtype;
    }
}
