package io.weightcast.core.plan.llama;

import io.weightcast.formats.tensor.DType;
import java.util.List;

/**
 * The per-tensor type options of llama-quantize ({@code llama_model_quantize_params}).
 *
 * @param ftype                the file type asked for
 * @param outputTensorType     {@code --output-tensor-type} (null: by the rules)
 * @param tokenEmbeddingType   {@code --token-embedding-type} (null: by the rules)
 * @param quantizeOutputTensor false with {@code --leave-output-tensor}
 * @param pure                 {@code --pure}: no mixture, every quantizable tensor gets the default type
 * @param tensorTypes          {@code --tensor-type} options in command-line order (first match wins)
 * @param onlyCopy             {@code COPY}: no tensor is quantized
 */
public record QuantizeOptions(LlamaFtype ftype, DType outputTensorType, DType tokenEmbeddingType,
                              boolean quantizeOutputTensor, boolean pure, List<TensorTypeOverride> tensorTypes,
                              boolean onlyCopy) {

    public QuantizeOptions {
        tensorTypes = List.copyOf(tensorTypes);
    }

    /** llama_model_quantize_default_params() with this ftype. */
    public static QuantizeOptions of(LlamaFtype ftype) {
        return new QuantizeOptions(ftype, null, null, true, false, List.of(), false);
    }

    public QuantizeOptions withPure(boolean p) {
        return new QuantizeOptions(ftype, outputTensorType, tokenEmbeddingType, quantizeOutputTensor, p, tensorTypes,
                onlyCopy);
    }

    public QuantizeOptions withLeaveOutputTensor(boolean leave) {
        return new QuantizeOptions(ftype, outputTensorType, tokenEmbeddingType, !leave, pure, tensorTypes, onlyCopy);
    }

    public QuantizeOptions withOutputTensorType(DType t) {
        return new QuantizeOptions(ftype, t, tokenEmbeddingType, quantizeOutputTensor, pure, tensorTypes, onlyCopy);
    }

    public QuantizeOptions withTokenEmbeddingType(DType t) {
        return new QuantizeOptions(ftype, outputTensorType, t, quantizeOutputTensor, pure, tensorTypes, onlyCopy);
    }

    public QuantizeOptions withTensorTypes(List<TensorTypeOverride> t) {
        return new QuantizeOptions(ftype, outputTensorType, tokenEmbeddingType, quantizeOutputTensor, pure, t,
                onlyCopy);
    }
}
