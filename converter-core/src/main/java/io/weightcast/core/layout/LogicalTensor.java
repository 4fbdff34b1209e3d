package io.weightcast.core.layout;

import io.weightcast.core.codec.Codecs;
import io.weightcast.core.plan.ElementSource;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.Shapes;
import io.weightcast.formats.tensor.TensorView;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One weight as the model sees it, whatever its stored layout: a plain tensor, or the group of keys of a
 * quantized weight ({@code weight} + {@code weight_scale_inv}, bnb's six keys, {@code weight_packed} +
 * {@code weight_scale} + {@code weight_shape}, …) that together dequantize to it. verify, dequantize and convert
 * work on these, so every layout is treated the same way.
 *
 * @param name   the logical name ({@code X.weight})
 * @param shape  the logical shape (PyTorch order)
 * @param dtype  the dtype the weight had before quantization (as recorded, else F32), or the stored dtype
 * @param layout "plain", or a short description of the quantized layout
 * @param parts  the stored tensors it is made of (the first one is the main one)
 * @param source the decoder; for plain tensors, the dtype's codec
 */
public record LogicalTensor(String name, long[] shape, DType dtype, String layout, List<TensorView> parts,
        ElementSource source) {

    public LogicalTensor {
        shape = shape.clone();
        parts = List.copyOf(parts);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A plain stored tensor, decoded by its dtype's codec (or copied). */
    public static LogicalTensor plain(TensorView view) {
        ElementSource src = Codecs.supports(view.dtype())
                ? (first, count, dst, off) -> Codecs.forType(view.dtype()).decode(view.data(),
                        view.dtype().byteSize(first), count, dst, off)
                : (first, count, dst, off) -> {
                    throw new UnsupportedOperationException(view.name() + ": no float codec for " + view.dtype());
                };
        return new LogicalTensor(view.name(), view.shape(), view.dtype(), "plain", List.of(view), src);
    }

    public boolean isPlain() {
        return layout.equals("plain");
    }

    public long elementCount() {
        return Shapes.elementCount(shape);
    }

    public long storedBytes() {
        return parts.stream().mapToLong(TensorView::byteSize).sum();
    }

    /**
     * A view that stands for this tensor in plans: the stored view for a plain tensor; otherwise a view with the
     * logical name, shape and original dtype and no bytes (the plan's decoder supplies the values).
     */
    public TensorView asView() {
        if (isPlain()) {
            return parts.get(0);
        }
        TensorView main = parts.get(0);
        return new TensorView(name, shape, dtype, MemorySegment.ofArray(new byte[0]), main.file(),
                main.fileOffset());
    }
}
