package io.weightcast.cli;

import io.weightcast.core.engine.DeviceChoice;
import io.weightcast.core.engine.EngineOptions;
import picocli.CommandLine.Option;

/** The {@code --threads} and {@code --device} options shared by the commands that run the engine. */
final class ThreadsOption {
    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "worker threads (default: all ${sys:weightcast.cores} cores)")
    Integer threads;

    @Option(names = "--device", paramLabel = "D", defaultValue = "auto",
            description = "where to quantize: auto (every CUDA GPU found, else the CPU with a log line), cpu, "
                    + "cuda (every GPU; an error without one) or cuda:N (GPU N). Several GPUs split the tensors "
                    + "between them; types without a GPU kernel use the CPU. Output bytes are identical on both. "
                    + "Default: ${DEFAULT-VALUE}")
    String device;

    static {
        System.setProperty("weightcast.cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
    }

    EngineOptions engineOptions() {
        if (threads != null && threads < 1) {
            throw new UserInputException("--threads must be at least 1, got " + threads);
        }
        return (threads == null ? EngineOptions.defaults() : EngineOptions.withThreads(threads))
                .withDevice(device(device));
    }

    /** Parses a {@code --device} value; a bad one is a usage error (exit 2). */
    static DeviceChoice device(String value) {
        try {
            return DeviceChoice.parse(value == null ? "auto" : value);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--device: " + e.getMessage());
        }
    }
}
