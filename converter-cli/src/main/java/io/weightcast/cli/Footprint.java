package io.weightcast.cli;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Totals of a model's tensors: count, parameters, bytes, bits per weight, and the same per storage type. */
record Footprint(long tensors, long parameters, long bytes, Map<DType, long[]> byType) {

    static Footprint of(List<TensorView> tensors) {
        long params = 0;
        long bytes = 0;
        Map<DType, long[]> byType = new EnumMap<>(DType.class);
        for (TensorView t : tensors) {
            params += t.elementCount();
            bytes += t.byteSize();
            long[] agg = byType.computeIfAbsent(t.dtype(), k -> new long[3]);
            agg[0]++;
            agg[1] += t.elementCount();
            agg[2] += t.byteSize();
        }
        return new Footprint(tensors.size(), params, bytes, byType);
    }

    double bitsPerWeight() {
        return parameters == 0 ? 0 : bytes * 8.0 / parameters;
    }

    static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.2f %s", v, units[u]);
    }
}
