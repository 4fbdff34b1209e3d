package io.weightcast.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.weightcast.core.layout.LogicalTensor;
import io.weightcast.core.layout.QuantizedCheckpoint;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.ModelFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code inspect} on a diffusers pipeline folder: per component with weights, its quantization (method, layout
 * detail, skipped modules) and its footprint before (every weight at its recorded original dtype) and after (as
 * stored); components without weights are listed as such.
 */
final class PipelineInspect {
    private PipelineInspect() {
    }

    record Component(String name, String method, String layout, List<String> skippedModules, int quantizedWeights,
            long tensors, long parameters, long beforeBytes, long afterBytes, double bitsPerWeight) {
    }

    record Pipeline(String path, String className, List<Component> components, List<String> otherFolders,
            long beforeBytes, long afterBytes) {
    }

    static Pipeline read(Path folder) throws IOException {
        Object cls = QuantizedCheckpoint.readJson(folder.resolve("model_index.json")).get("_class_name");
        List<Component> comps = new ArrayList<>();
        List<String> others = new ArrayList<>();
        try (var entries = Files.list(folder)) {
            for (Path p : (Iterable<Path>) entries.sorted()::iterator) {
                if (!Files.isDirectory(p)) {
                    continue;
                }
                boolean weights;
                try (var f = Files.list(p)) {
                    weights = f.anyMatch(x -> x.getFileName().toString().endsWith(".safetensors"));
                }
                if (!weights) {
                    others.add(p.getFileName().toString());
                    continue;
                }
                try (ModelFile m = ModelFiles.open(p)) {
                    QuantizedCheckpoint cp = QuantizedCheckpoint.of(m);
                    var s = cp.summary();
                    long params = cp.tensors().stream().mapToLong(LogicalTensor::elementCount).sum();
                    long after = cp.tensors().stream().mapToLong(LogicalTensor::storedBytes).sum();
                    long before = InspectJson.Quantization.dequantizedBytes(cp);
                    comps.add(new Component(p.getFileName().toString(), s.method(), s.detail(), s.skippedModules(),
                            s.quantizedWeights(), cp.tensors().size(), params, before, after,
                            params == 0 ? 0 : after * 8.0 / params));
                }
            }
        }
        return new Pipeline(folder.toString(), cls == null ? null : String.valueOf(cls), comps, others,
                comps.stream().mapToLong(Component::beforeBytes).sum(),
                comps.stream().mapToLong(Component::afterBytes).sum());
    }

    static void print(Path folder, boolean json, PrintWriter out) throws IOException {
        Pipeline p = read(folder);
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(p));
            out.flush();
            return;
        }
        out.printf("format:   diffusers pipeline%s%n", p.className() == null ? "" : " (" + p.className() + ")");
        out.printf("path:     %s%n%n", p.path());
        String row = "%-16s  %-20s  %9s  %14s  %12s  %12s  %8s%n";
        out.printf(row, "component", "quantization", "quantized", "parameters", "before", "after", "bits/w");
        for (Component c : p.components()) {
            out.printf(Locale.ROOT, row, c.name(), c.method(), c.quantizedWeights(), String.format("%,d",
                    c.parameters()), Footprint.humanBytes(c.beforeBytes()), Footprint.humanBytes(c.afterBytes()),
                    String.format(Locale.ROOT, "%.3f", c.bitsPerWeight()));
        }
        out.printf(Locale.ROOT, row, "total", "", "", "", Footprint.humanBytes(p.beforeBytes()),
                Footprint.humanBytes(p.afterBytes()), "");
        for (Component c : p.components()) {
            if (c.quantizedWeights() > 0) {
                out.printf("%n%s: %s%n  layout:          %s%n  skipped modules: %s%n", c.name(), c.method(),
                        c.layout(), c.skippedModules().isEmpty() ? "(loader defaults)"
                                : String.join(", ", c.skippedModules()));
            }
        }
        if (!p.otherFolders().isEmpty()) {
            out.printf("%nwithout weights: %s%n", String.join(", ", p.otherFolders()));
        }
        out.flush();
    }
}
