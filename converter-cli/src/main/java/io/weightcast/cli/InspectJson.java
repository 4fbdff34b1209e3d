package io.weightcast.cli;

import io.weightcast.core.layout.LogicalTensor;
import io.weightcast.core.layout.QuantizedCheckpoint;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON shape of {@code inspect --json}; field names are a public contract for scripts. */
record InspectJson(String format, String path, Map<String, Object> metadata, List<TensorJson> tensors,
                   Totals totals, Quantization quantization) {

    /**
     * The pre-quantized layout, when the checkpoint has one: method, per-layout detail (bits, block or group
     * size), skipped modules, number of quantized weights, logical parameters and their stored bytes.
     */
    record Quantization(String method, String detail, List<String> skippedModules, int quantizedWeights,
                        long logicalTensors, long logicalParameters, long storedBytes, double bitsPerWeight,
                        long dequantizedBytes, Map<String, Object> quantizationConfig) {
        static Quantization of(QuantizedCheckpoint cp) {
            if (!cp.summary().quantized() && cp.summary().quantizationConfig().isEmpty()) {
                return null;
            }
            long params = cp.tensors().stream().mapToLong(LogicalTensor::elementCount).sum();
            long bytes = cp.tensors().stream().mapToLong(LogicalTensor::storedBytes).sum();
            var s = cp.summary();
            return new Quantization(s.method(), s.detail(), s.skippedModules(), s.quantizedWeights(),
                    cp.tensors().size(), params, bytes, params == 0 ? 0 : bytes * 8.0 / params,
                    dequantizedBytes(cp), s.quantizationConfig());
        }

        /** The footprint before quantization: every logical tensor at its recorded original dtype. */
        static long dequantizedBytes(QuantizedCheckpoint cp) {
            return cp.tensors().stream().mapToLong(t -> t.isPlain() ? t.storedBytes()
                    : t.dtype().byteSize(t.elementCount())).sum();
        }
    }

    record TensorJson(String name, long[] shape, String dtype, long bytes) {
    }

    record TypeTotals(long tensors, long parameters, long bytes) {
    }

    record Totals(long tensors, long parameters, long bytes, double bitsPerWeight, Map<String, TypeTotals> byDtype) {
    }

    static InspectJson of(ModelFile model, Footprint f, QuantizedCheckpoint cp) {
        List<TensorJson> tensors = model.tensors().stream()
                .map((TensorView t) -> new TensorJson(t.name(), t.shape(), t.dtype().name(), t.byteSize()))
                .toList();
        Map<String, TypeTotals> byType = new LinkedHashMap<>();
        for (Map.Entry<DType, long[]> e : f.byType().entrySet()) {
            long[] a = e.getValue();
            byType.put(e.getKey().name(), new TypeTotals(a[0], a[1], a[2]));
        }
        return new InspectJson(model.format(), model.path().toString(), model.metadata(), tensors,
                new Totals(f.tensors(), f.parameters(), f.bytes(), f.bitsPerWeight(), byType),
                cp == null ? null : Quantization.of(cp));
    }
}
