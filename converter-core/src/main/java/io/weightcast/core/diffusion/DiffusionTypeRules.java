package io.weightcast.core.diffusion;

import io.weightcast.core.plan.UnsupportedTargetException;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.util.Arrays;

/**
 * The per-tensor rules of ComfyUI-GGUF's two steps, applied in one pass: {@code convert.py} (the F16/BF16 base file)
 * followed by its patched {@code llama-quantize} ({@code img_tensor_get_type}) when a quantized type is requested.
 * Pure functions of the tensor's name, shape and dtype.
 *
 * <ol>
 *   <li>Base type: BF16 for BF16 sources, F16 for everything else (F32, F16, FP8 sources).</li>
 *   <li>Keep F32 (F32 and BF16 sources only, as convert.py): 1-D tensors, tensors of at most
 *       {@value #SMALL_TENSOR_PARAMS} elements, and the family's {@code keys_hiprec}.</li>
 *   <li>Tensors of more than 4 dimensions (Wan/HunyuanVideo patch embeddings) are flattened to 2-D and written F32
 *       with their shape in {@code comfy.gguf.orig_shape.*}: what {@code fix_5d_tensors.py} repairs by hand.</li>
 *   <li>SD1/SDXL ({@code shape_fix}): a tensor of rank ≥ 2 with ≥ {@value #REARRANGE_THRESHOLD} elements, a total
 *       divisible by 256 and a last dimension that is not, is stored as {@code [n/256, 256]}, the true shape in
 *       {@code comfy.gguf.orig_shape.*} (not for diffusers, which does not read it).</li>
 *   <li>Quantizing: only tensors whose name ends in {@code weight}, stored 2-D, not kept F32 above, not in the
 *       family's unquantized layers (embedding, in and out layers: base type, or F32 for the lists the patch keeps in
 *       F32), and whose rows are whole blocks (else the base type, as the patch falls back).</li>
 * </ol>
 */
public final class DiffusionTypeRules {
    /** convert.py's QUANTIZATION_THRESHOLD. */
    public static final long SMALL_TENSOR_PARAMS = 1024;
    /** convert.py's REARRANGE_THRESHOLD. */
    public static final long REARRANGE_THRESHOLD = 512;
    /** GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    static final int ROW = 256;

    private DiffusionTypeRules() {
    }

    /** The unquantized type of a source: BF16 stays BF16, everything else becomes F16. */
    public static DType baseType(DType source) {
        return source == DType.BF16 ? DType.BF16 : DType.F16;
    }

    /**
     * @param name      the tensor's name without the state-dict prefix
     * @param requested the type asked for (null: the base type of each tensor)
     */
    public static TensorDecision decide(String name, TensorView tensor, DiffusionArch arch, DiffusionTarget target,
                                        DType requested) {
        DType source = tensor.dtype();
        long[] shape = tensor.shape();
        if (!source.isPlainFloat() && !source.isQuantized()) {
            if (!source.isGgml()) {
                throw new UnsupportedTargetException(tensor, "GGUF has no type for " + source + " tensors");
            }
            return new TensorDecision(name, source, shape, null, "integer tensor, copied");
        }
        long n = tensor.elementCount();
        int rank = shape.length;
        DType base = baseType(source);
        if (requested != null && !requested.isQuantized()) {
            base = requested;
        }
        String keptF32 = null;
        if (source == DType.F32 || source == DType.BF16) {
            if (rank <= 1) {
                keptF32 = "1-D, kept F32";
            } else if (n <= SMALL_TENSOR_PARAMS) {
                keptF32 = "<= " + SMALL_TENSOR_PARAMS + " elements, kept F32";
            } else if (contains(name, arch.keysHiprec())) {
                keptF32 = "high-precision parameter, kept F32";
            }
        }
        long[] stored = shape;
        long[] original = null;
        if (rank > MAX_DIMS) {
            stored = new long[] {shape[0], n / shape[0]};
            original = shape;
            keptF32 = rank + "-D, stored 2-D in F32 with orig_shape (as fix_5d_tensors.py)";
        } else if (target.reshapes() && arch.shapeFix() && rank > 1 && n >= REARRANGE_THRESHOLD && n % ROW == 0
                && shape[rank - 1] % ROW != 0) {
            stored = new long[] {n / ROW, ROW};
            original = shape;
        }
        if (keptF32 != null) {
            return new TensorDecision(name, DType.F32, stored, original, keptF32);
        }
        if (requested == null || !requested.isQuantized()) {
            return new TensorDecision(name, base, stored, original, "");
        }
        String why;
        if (!name.endsWith("weight")) {
            why = "not a weight, not quantized";
        } else if (arch.keepsF32WhenQuantizing(name)) {
            return new TensorDecision(name, DType.F32, stored, original, "input/output layer, kept F32");
        } else if (arch.keepsUnquantized(name)) {
            why = "embedding/input/output layer, not quantized";
        } else if (stored.length != 2) {
            why = stored.length + "-D, only 2-D tensors are quantized";
        } else if (stored[1] % requested.blockSize() != 0) {
            why = "row of " + stored[1] + " is not a multiple of the " + requested + " block (" + requested.blockSize()
                    + ")";
        } else {
            return new TensorDecision(name, requested, stored, original, "");
        }
        return new TensorDecision(name, base, stored, original, why);
    }

    private static boolean contains(String name, java.util.List<String> parts) {
        return parts.stream().anyMatch(name::contains);
    }

    static String shapeString(long[] s) {
        return Arrays.toString(s);
    }
}
