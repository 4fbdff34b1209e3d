package io.weightcast.formats.gguf;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.Shapes;
import java.util.Arrays;
import java.util.Objects;

/**
 * One GGUF tensor info, as stored:
 *
 * <pre>
 * struct gguf_tensor_info {
 *     gguf_string_t name;        // at most 63 bytes (GGML_MAX_NAME = 64 incl. NUL)
 *     uint32_t n_dimensions;     // at most 4 (GGML_MAX_DIMS)
 *     uint64_t dimensions[n_dimensions]; // ne[]: ne[0] is the innermost (contiguous) dimension (u32 in GGUF v1)
 *     ggml_type type;            // i32
 *     uint64_t offset;           // relative to the start of the data section, a multiple of ALIGNMENT
 * };
 * </pre>
 *
 * @param name     tensor name
 * @param ne       the dimensions as stored ({@code ne.length == n_dimensions}), innermost first
 * @param type     the ggml type
 * @param offset   offset of the data relative to the data section
 * @param byteSize bytes of data (without padding)
 */
public record GgufTensorInfo(String name, long[] ne, DType type, long offset, long byteSize) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        ne = ne.clone();
    }

    @Override
    public long[] ne() {
        return ne.clone();
    }

    /** {@code n_dimensions} as stored. */
    public int nDims() {
        return ne.length;
    }

    /** The shape in PyTorch order (outermost first): ne[] reversed. */
    public long[] shape() {
        return Shapes.reversed(ne);
    }

    public long elementCount() {
        return Shapes.elementCount(ne);
    }

    /**
     * True when ne[0] is not a whole number of blocks, so blocks run across rows. Only legacy (v1/v2) files written
     * by 2023 quantizers have such tensors; current ggml rejects them.
     */
    public boolean blocksStraddleRows() {
        return ne.length > 0 && ne[0] % type.blockSize() != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(ne, t.ne) && type == t.type
                && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(ne), type, offset, byteSize);
    }

    @Override
    public String toString() {
        return name + " " + type + " ne=" + Arrays.toString(ne) + " offset=" + offset + " nbytes=" + byteSize;
    }
}
