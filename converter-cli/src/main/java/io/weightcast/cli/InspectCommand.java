package io.weightcast.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.weightcast.core.layout.QuantizedCheckpoint;
import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.tensor.ModelFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {
            "Shows a model's format, metadata and tensors (name, shape in PyTorch order, type, bytes) with totals",
            "and bits per weight: the footprint table transformers' get_memory_footprint gives, for any file.",
            "",
            "PATH may be a .gguf file (or the first file of a split), a .safetensors file, a",
            "*.safetensors.index.json, a folder with safetensors shards, or a diffusers pipeline folder",
            "(model_index.json): then one row per component with its quantization (method, bits, group or",
            "block size, skipped modules) and its footprint before (dequantized) and after (stored)."})
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PATH", description = "the model to inspect")
    Path path;

    @Option(names = "--json", description = "print JSON (fields: format, path, metadata, tensors[name, shape, "
            + "dtype, bytes], totals) instead of text")
    boolean json;

    @Option(names = "--full-metadata", description = "in text mode, print long metadata arrays in full")
    boolean fullMetadata;

    @Override
    public Integer call() throws Exception {
        if (java.nio.file.Files.isRegularFile(path.resolve("model_index.json"))) {
            PipelineInspect.print(path, json, spec.commandLine().getOut());
            return ExitCodes.OK;
        }
        try (ModelFile model = ModelFiles.open(path)) {
            Footprint footprint = Footprint.of(model.tensors());
            var out = spec.commandLine().getOut();
            QuantizedCheckpoint cp = model.format().equals("safetensors") ? QuantizedCheckpoint.of(model) : null;
            InspectJson.Quantization q = cp == null ? null : InspectJson.Quantization.of(cp);
            if (json) {
                ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                out.println(mapper.writeValueAsString(InspectJson.of(model, footprint, cp)));
            } else {
                new InspectText(out, fullMetadata).print(model, footprint);
                if (q != null) {
                    out.println();
                    out.printf(java.util.Locale.ROOT, "quantization: %s%n", q.method());
                    out.printf(java.util.Locale.ROOT, "  layout:            %s%n", q.detail().isEmpty() ? "-" : q.detail());
                    out.printf(java.util.Locale.ROOT, "  quantized weights: %d%n", q.quantizedWeights());
                    out.printf(java.util.Locale.ROOT, "  skipped modules:   %s%n",
                            q.skippedModules().isEmpty() ? "(loader defaults)" : String.join(", ", q.skippedModules()));
                    out.printf(java.util.Locale.ROOT, "  logical:           %d tensors, %d parameters, %s stored, "
                            + "%.3f bits per weight%n", q.logicalTensors(), q.logicalParameters(),
                            Footprint.humanBytes(q.storedBytes()), q.bitsPerWeight());
                    out.printf(java.util.Locale.ROOT, "  footprint:         %s dequantized -> %s stored%n",
                            Footprint.humanBytes(q.dequantizedBytes()), Footprint.humanBytes(q.storedBytes()));
                }
            }
            out.flush();
        }
        return ExitCodes.OK;
    }
}
