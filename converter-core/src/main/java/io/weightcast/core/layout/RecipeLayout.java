package io.weightcast.core.layout;

import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.core.plan.ElementSource;
import io.weightcast.formats.tensor.DType;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A layout with a recipe's per-tensor rules on top: {@code skip} patterns leave modules unquantized (and listed in
 * the config's skip list), and {@code overrides} give matching weights their own parameters where the format
 * stores them per weight (bitsandbytes 4-bit: quant type and block size live in each weight's quant_state).
 * Patterns are Python {@code re.search} regexes on the weight's name ({@code model.layers.0.mlp.down_proj.weight});
 * the first matching override wins.
 */
public record RecipeLayout(QuantLayout base, List<Rule> tensorRules) implements QuantLayout {

    /** One per-tensor rule: skip (layout null) or encode with {@code layout}. */
    public record Rule(String pattern, Pattern regex, QuantLayout layout) {
        boolean matches(String tensorName) {
            return regex.matcher(tensorName).find();
        }
    }

    public RecipeLayout {
        tensorRules = List.copyOf(tensorRules);
    }

    @Override
    public String describe() {
        return base.describe();
    }

    @Override
    public ModuleRules rules() {
        return base.rules();
    }

    @Override
    public Optional<String> unsupportedShape(long[] shape) {
        return base.unsupportedShape(shape);
    }

    @Override
    public Optional<String> recipeSkip(String tensorName) {
        return rule(tensorName).filter(r -> r.layout() == null).map(Rule::pattern);
    }

    @Override
    public WeightEncoder encoder(String name, long[] shape, DType originalDtype, ElementSource source) {
        QuantLayout l = rule(name).map(Rule::layout).orElse(base);
        return (l == null ? base : l).encoder(name, shape, originalDtype, source);
    }

    @Override
    public Map<String, Object> quantizationConfig(List<String> unquantized, List<String> shapeSkipped) {
        return base.quantizationConfig(unquantized, shapeSkipped);
    }

    private Optional<Rule> rule(String tensorName) {
        return tensorRules.stream().filter(r -> r.matches(tensorName)).findFirst();
    }
}
