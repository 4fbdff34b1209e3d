package io.weightcast.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code weightcast} command: parses arguments and runs one subcommand; never calls exit elsewhere. */
@Command(name = "weightcast",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Converts model checkpoints between safetensors and GGUF, quantizing with ggml's exact algorithms,",
            "and measures the round trip.",
            "",
            "Examples:",
            "  weightcast inspect model.gguf",
            "  weightcast convert ./hf-model-folder -o model-q8_0.gguf --type Q8_0 --report",
            "  weightcast quantize model-f16.gguf model-q4_k_m.gguf Q4_K_M",
            "  weightcast dequantize model-q8_0.gguf -o model-f32.safetensors",
            "  weightcast verify ./hf-model-folder model-q8_0.gguf --max-rel-rmse 0.01",
            ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:verify found a tensor above the error bound",
            "2:bad input or usage (the message names the file, tensor and offset)",
            "3:internal error (please report it with the stack trace)"},
        subcommands = {InspectCommand.class, ConvertCommand.class, QuantizeCommand.class, DequantizeCommand.class, VerifyCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler(new ErrorReporter());
        cl.getSubcommands().get("quantize").getCommandSpec().usageMessage().footer(QuantizeCommand.ftypeTable());
        return cl;
    }
}
