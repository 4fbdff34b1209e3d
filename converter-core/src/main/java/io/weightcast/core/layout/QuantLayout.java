package io.weightcast.core.layout;

import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.core.plan.ElementSource;
import io.weightcast.formats.tensor.DType;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The writer side of one pre-quantized Hugging Face layout: which weights it takes, how one weight becomes its
 * stored tensors (a {@link WeightEncoder}), and the {@code quantization_config} that makes the folder load with
 * {@code from_pretrained} and no user arguments.
 */
public interface QuantLayout {

    /** The config's {@code quant_method} (plus a detail for display, e.g. "bitsandbytes nf4"). */
    String describe();

    ModuleRules rules();

    /** Why this layout cannot store a weight of this shape (it then stays unquantized), or empty. */
    Optional<String> unsupportedShape(long[] shape);

    /** The recipe pattern that leaves this weight unquantized ({@link RecipeLayout}), or empty. */
    default Optional<String> recipeSkip(String tensorName) {
        return Optional.empty();
    }

    /**
     * The encoder for one weight (a Linear's {@code X.weight}). {@code source} lets a layout whose stored shapes
     * depend on whole-tensor statistics (bnb's double-quant offset, a per-tensor scale) make a first pass.
     */
    WeightEncoder encoder(String name, long[] shape, DType originalDtype, ElementSource source);

    /**
     * The {@code quantization_config} object.
     *
     * @param unquantized every Linear-like module left unquantized (default and user skips and shape skips)
     * @param shapeSkipped those left out only because the layout cannot store their shape
     */
    Map<String, Object> quantizationConfig(List<String> unquantized, List<String> shapeSkipped);

    /** The name transformers gives a dtype in configs and quant_state ("bfloat16", "float16", "float32"). */
    static String torchName(DType t) {
        return switch (t) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F64 -> "float64";
            default -> "float32";
        };
    }
}
