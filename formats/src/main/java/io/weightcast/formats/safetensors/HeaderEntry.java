package io.weightcast.formats.safetensors;

import io.weightcast.formats.tensor.DType;
import java.util.Arrays;

/**
 * One tensor entry of a safetensors header, as written: its name, dtype, shape (PyTorch order) and
 * {@code data_offsets}, which are relative to the start of the data section (byte {@code 8 + headerLength}).
 *
 * @param begin first byte of the tensor in the data section
 * @param end   one past its last byte
 */
public record HeaderEntry(String name, DType dtype, long[] shape, long begin, long end) {

    public HeaderEntry {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HeaderEntry e && name.equals(e.name) && dtype == e.dtype && Arrays.equals(shape, e.shape)
                && begin == e.begin && end == e.end;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(begin);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + ' ' + dtype + " [" + begin + ", " + end + ']';
    }
}
