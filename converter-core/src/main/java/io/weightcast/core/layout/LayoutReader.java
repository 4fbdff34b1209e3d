package io.weightcast.core.layout;

import io.weightcast.formats.tensor.TensorView;
import java.util.List;
import java.util.Map;

/**
 * The reader side of one quantized layout: finds the groups of keys it owns among the stored tensors and turns
 * each group into a {@link LogicalTensor} that dequantizes on the fly.
 */
interface LayoutReader {

    /**
     * Claims groups: removes the keys it uses from {@code remaining} (name → view, file order) and returns the
     * logical tensors, keyed by the position of their main key.
     *
     * @param config the {@code quantization_config} (or MLX {@code quantization}) object, or an empty map
     */
    List<LogicalTensor> claim(Map<String, TensorView> remaining, Map<String, Object> config, ReadContext ctx)
            throws java.io.IOException;

    /** Side information the readers share (extra files such as quanto_qmap.json, the folder). */
    record ReadContext(java.nio.file.Path folder, Map<String, Object> fullConfig) {
        /** The model's dtype from config.json ({@code dtype} or {@code torch_dtype}), F32 when absent. */
        io.weightcast.formats.tensor.DType modelDtype() {
            Object d = fullConfig.getOrDefault("dtype", fullConfig.get("torch_dtype"));
            return switch (String.valueOf(d)) {
                case "bfloat16" -> io.weightcast.formats.tensor.DType.BF16;
                case "float16" -> io.weightcast.formats.tensor.DType.F16;
                default -> io.weightcast.formats.tensor.DType.F32;
            };
        }
    }
}
