package io.weightcast.cli;

import io.weightcast.core.job.ConvertRequest;
import io.weightcast.core.job.ConvertResult;
import io.weightcast.core.job.ConvertService;
import io.weightcast.core.plan.TargetFormat;
import io.weightcast.formats.tensor.DType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "dequantize", mixinStandardHelpOptions = true,
        description = {
            "Dequantizes every tensor of a model (GGUF or safetensors) to plain floats in a safetensors file",
            "(or a folder of shards), with transformers' \"format\": \"pt\" metadata. Integer tensors are copied.",
            "",
            "Example:",
            "  weightcast dequantize model-q4_0.gguf -o model-f32.safetensors",
            ""})
final class DequantizeCommand implements Callable<Integer> {
    enum FloatType { f32, f16, bf16 }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "the model to dequantize")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
            description = "a .safetensors file, or a folder for sharded output")
    Path output;

    @Option(names = "--dtype", paramLabel = "DTYPE", defaultValue = "f32",
            description = "the float type to write: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    FloatType dtype;

    @Option(names = "--max-shard-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "shard the output (e.g. 5G) with a model.safetensors.index.json")
    Long maxShardSize;

    @Option(names = {"-q", "--quiet"}, description = "no progress bar and no summary")
    boolean quiet;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        DType target = DType.parse(dtype.name()).orElseThrow();
        ConvertRequest request = new ConvertRequest(input, output, TargetFormat.SAFETENSORS, target,
                threads.engineOptions(), maxShardSize == null ? 0 : maxShardSize);
        ConvertResult result;
        try (Progress progress = Progress.start("dequantize", 0, quiet)) {
            result = ConvertService.convert(request, progress);
        }
        if (!quiet) {
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %d tensors as %s in %.2f s%n",
                    result.output(), result.plan().jobs().size(), target, result.elapsed().toNanos() / 1e9);
        }
        return ExitCodes.OK;
    }
}
