package io.weightcast.core.job;

import io.weightcast.core.plan.ConversionPlan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What a conversion did: the plan it ran, where the output went, how long it took, and notes for the user
 * (architecture mapping, tokenizer choices, missing vocabulary).
 */
public record ConvertResult(ConversionPlan plan, Path output, Duration elapsed, List<String> notes) {

    public ConvertResult {
        notes = List.copyOf(notes);
    }

    public ConvertResult(ConversionPlan plan, Path output, Duration elapsed) {
        this(plan, output, elapsed, List.of());
    }
}
