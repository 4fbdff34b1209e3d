package io.weightcast.cli;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The human-readable form of {@code inspect}. */
final class InspectText {
    private static final int ARRAY_PREVIEW = 8;
    private static final int STRING_PREVIEW = 120;

    private final PrintWriter out;
    private final boolean fullMetadata;

    InspectText(PrintWriter out, boolean fullMetadata) {
        this.out = out;
        this.fullMetadata = fullMetadata;
    }

    void print(ModelFile model, Footprint f) {
        out.printf("format:   %s%n", model.format());
        out.printf("path:     %s%n", model.path());
        Map<String, Object> metadata = model.metadata();
        out.printf("metadata: %d entries%n", metadata.size());
        metadata.forEach((k, v) -> out.printf("  %s = %s%n", k, preview(v)));
        out.println();
        int nameWidth = Math.min(64, model.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(4));
        String row = "%-" + nameWidth + "s  %-22s  %-8s  %14s%n";
        out.printf(row, "tensor", "shape", "dtype", "bytes");
        for (TensorView t : model.tensors()) {
            out.printf(row, t.name(), Arrays.toString(t.shape()), t.dtype().name(), String.format("%,d", t.byteSize()));
        }
        out.println();
        out.printf(Locale.ROOT, "total: %,d tensors, %,d parameters, %s (%,d bytes), %.3f bits per weight%n",
                f.tensors(), f.parameters(), Footprint.humanBytes(f.bytes()), f.bytes(), f.bitsPerWeight());
        for (Map.Entry<DType, long[]> e : f.byType().entrySet()) {
            long[] a = e.getValue();
            out.printf(Locale.ROOT, "  %-8s %,6d tensors  %,15d parameters  %12s%n", e.getKey().name(), a[0], a[1],
                    Footprint.humanBytes(a[2]));
        }
    }

    private String preview(Object v) {
        if (v instanceof List<?> list) {
            if (fullMetadata || list.size() <= ARRAY_PREVIEW) {
                return list.toString();
            }
            return list.subList(0, ARRAY_PREVIEW).toString().replaceFirst("]$", ", … ]") + " (" + list.size()
                    + " items)";
        }
        if (v instanceof String s) {
            String shown = !fullMetadata && s.length() > STRING_PREVIEW ? s.substring(0, STRING_PREVIEW) + "…" : s;
            return '"' + shown.replace("\n", "\\n") + '"';
        }
        return String.valueOf(v);
    }
}
