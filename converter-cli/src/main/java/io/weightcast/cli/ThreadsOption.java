package io.weightcast.cli;

import io.weightcast.core.engine.EngineOptions;
import picocli.CommandLine.Option;

/** The {@code --threads} option shared by the commands that run the engine. */
final class ThreadsOption {
    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "worker threads (default: all ${sys:weightcast.cores} cores)")
    Integer threads;

    static {
        System.setProperty("weightcast.cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
    }

    EngineOptions engineOptions() {
        if (threads != null && threads < 1) {
            throw new UserInputException("--threads must be at least 1, got " + threads);
        }
        return threads == null ? EngineOptions.defaults() : EngineOptions.withThreads(threads);
    }
}
