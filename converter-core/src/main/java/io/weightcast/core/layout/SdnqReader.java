package io.weightcast.core.layout;

import io.weightcast.formats.tensor.TensorView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * SDNQ ({@code quant_method: "sdnq"}, hf-formats.md §9): recognised, not dequantized. The note documents the key
 * names ({@code X.weight}, {@code X.scale}, {@code X.zero_point}, {@code X.svd_up}/{@code X.svd_down}) and the
 * arithmetic, but not the stored shapes: the weight "keeps the grouped shape" (group size 0 = auto, from the
 * layer), may be transposed for matmul, sub-byte types are "packed" with no bit order given, and the logical
 * shape comes from the model. Guessing would produce silently wrong weights, so {@code inspect} lists these
 * weights and anything that needs their values refuses with this reason.
 */
final class SdnqReader implements LayoutReader {

    @Override
    public List<LogicalTensor> claim(Map<String, TensorView> remaining, Map<String, Object> config, ReadContext ctx) {
        if (!"sdnq".equals(config.get("quant_method"))) {
            return List.of();
        }
        Object dtype = config.get("weights_dtype");
        List<LogicalTensor> out = new ArrayList<>();
        List<String> used = new ArrayList<>();
        for (TensorView scale : List.copyOf(remaining.values())) {
            if (!scale.name().endsWith(".scale")) {
                continue;
            }
            String module = scale.name().substring(0, scale.name().length() - ".scale".length());
            TensorView w = remaining.get(module + ".weight");
            if (w == null) {
                continue;
            }
            List<TensorView> parts = new ArrayList<>(List.of(w, scale));
            for (String k : List.of(".zero_point", ".svd_up", ".svd_down")) {
                if (remaining.get(module + k) != null) {
                    parts.add(remaining.get(module + k));
                }
            }
            String name = w.name();
            out.add(new LogicalTensor(name, w.shape(), scale.dtype(), "sdnq " + dtype + " (stored shape; not"
                    + " dequantized)", parts, (first, count, dst, off) -> {
                        throw new UnsupportedOperationException(name + ": SDNQ weights are recognised but not "
                                + "dequantized: the stored (grouped, possibly transposed or packed) layout is not "
                                + "documented well enough to read without the sdnq package");
                    }));
            parts.forEach(p -> used.add(p.name()));
        }
        used.forEach(remaining::remove);
        return out;
    }
}
