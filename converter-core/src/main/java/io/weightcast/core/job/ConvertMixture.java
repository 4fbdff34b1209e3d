package io.weightcast.core.job;

import io.weightcast.core.arch.HfGgufPlan;
import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TensorJob;
import io.weightcast.core.plan.llama.KvOverride;
import io.weightcast.core.plan.llama.LlamaQuantizeRules;
import io.weightcast.core.plan.llama.LlamaQuantizeRules.Decision;
import io.weightcast.core.plan.llama.ModelHparams;
import io.weightcast.core.plan.llama.QuantTensor;
import io.weightcast.core.plan.llama.QuantizeOptions;
import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.imatrix.ImportanceMatrix;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A llama.cpp file type mixture (Q4_K_M, Q5_K_S, IQ4_XS…) applied in the same pass as the Hugging Face → GGUF
 * conversion: the result has the types {@code llama_model_quantize} would give the F16/BF16 GGUF of the same
 * conversion (convert_hf_to_gguf's {@code --outtype auto}), without writing that file.
 *
 * <p>The rules ({@link LlamaQuantizeRules}) see exactly what llama-quantize would see in that intermediate file:
 * the mapped GGUF names, the GGUF shapes, the intermediate type of each tensor (F32 for norms and biases, F16 or
 * BF16 for weights) and the hyperparameters written by the architecture mapping, in llama.cpp's processing order
 * ({@link LlamaQuantizeRules#WEIGHT_ORDER}, which decides the attn_v / ffn_down layer schedules). Tensors the rules
 * leave alone keep the intermediate type. The quantized tensors are encoded from the source values directly
 * (f32 stays f32), so from an f32 checkpoint the bytes are closer to the original than llama-quantize's, which
 * starts from values already rounded to F16; from a BF16/F16 checkpoint the values are the same and so are the
 * bytes. The tensors stay in convert_hf_to_gguf's order.
 */
public final class ConvertMixture {
    private ConvertMixture() {
    }

    /**
     * @param hf        the conversion planned with the intermediate type (auto)
     * @param imatrix   GGUF or legacy .dat importance matrix, or null
     * @param warnings  receives llama-quantize's warnings (fallbacks, imatrix entries missing)
     */
    public static HfGgufPlan apply(HfGgufPlan hf, QuantizeOptions options, Path imatrix, List<String> warnings)
            throws IOException {
        if (hf.mapping().isEmpty()) {
            throw new IllegalArgumentException("the llama.cpp file type " + options.ftype().name() + " needs a "
                    + "checkpoint whose architecture weightcast maps (its rules read the GGUF tensor names and the "
                    + "model's hyperparameters); use a ggml type name with --type, or convert to F16 and run "
                    + "'weightcast quantize'");
        }
        List<TensorJob> jobs = hf.plan().jobs();
        Integer[] order = new Integer[jobs.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparing(i -> jobs.get(i).target().name(), LlamaQuantizeRules.WEIGHT_ORDER));
        List<QuantTensor> qts = new ArrayList<>(order.length);
        for (int i : order) {
            TensorSpec t = jobs.get(i).target();
            qts.add(QuantTensor.ofShape(t.name(), t.shape(), t.dtype()));
        }
        ModelHparams hp = ModelHparams.from(hf.metadata());
        ImportanceMatrix im = LlamaQuantizeService.readImatrix(imatrix, List.of(), List.of());
        List<Decision> decisions = LlamaQuantizeRules.select(qts, hp, options, im != null);
        TensorJob[] out = new TensorJob[jobs.size()];
        int fallbacks = 0;
        for (int k = 0; k < order.length; k++) {
            TensorJob j = jobs.get(order[k]);
            Decision d = decisions.get(k);
            String name = j.target().name();
            if (d.fellBack()) {
                fallbacks++;
                warnings.add(name + ": rows of " + d.tensor().ne(0) + " are not whole blocks of the mixture's type; "
                        + "falling back to " + d.target().displayName());
            }
            if (d.allowsQuantization() && d.requiresImatrix() && im == null) {
                throw new IllegalArgumentException("this quantization requires an importance matrix (--imatrix): "
                        + "tensor '" + name + "' would be " + d.target().displayName() + ", which gives garbage "
                        + "without one");
            }
            float[] importance = d.quantize()
                    ? LlamaQuantizeService.importanceFor(name, d, im, imatrix, warnings) : null;
            out[order[k]] = new TensorJob(j.source(), new TensorSpec(name, j.target().shape(), d.target()),
                    j.decoder(), j.transform(), importance);
        }
        if (fallbacks > 0) {
            warnings.add(fallbacks + " of " + order.length + " tensor(s) required fallback quantization");
        }
        GgufMetadata kv = new GgufMetadata(hf.metadata());
        kv.putUint32("general.file_type", options.ftype().id());
        for (KvOverride ov : LlamaQuantizeService.imatrixKvs(im, imatrix == null ? null : imatrix.toString())) {
            kv.remove(ov.key());
            kv.put(ov.key(), ov.value());
        }
        return new HfGgufPlan(new ConversionPlan(List.of(out)), kv, hf.mapping(), hf.type(), hf.notes());
    }
}
