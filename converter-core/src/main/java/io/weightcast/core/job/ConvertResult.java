package io.weightcast.core.job;

import io.weightcast.core.plan.ConversionPlan;
import java.nio.file.Path;
import java.time.Duration;

/** What a conversion did: the plan it ran, where the output went and how long it took. */
public record ConvertResult(ConversionPlan plan, Path output, Duration elapsed) {
}
