package io.weightcast.core.layout;

import io.weightcast.core.codec.Fp8BlockQuantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A quantization recipe in diffusers' {@code PipelineQuantizationConfig} vocabulary:
 * <pre>
 *   {"quant_backend": "bitsandbytes_4bit",
 *    "quant_kwargs": {"load_in_4bit": true, "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": true,
 *                     "bnb_4bit_compute_dtype": "bfloat16"},
 *    "components_to_quantize": ["transformer", "text_encoder"]}
 *   {"quant_mapping": {"transformer": {"quant_backend": "fp8", "quant_kwargs": {"weight_block_size": [128, 128]}}}}
 * </pre>
 * A bare {@code quantization_config} ({@code {"quant_method": "fp8", ...}}, {@code {"load_in_4bit": true, ...}})
 * is accepted too. Backends: {@code fp8} (transformers' FineGrainedFP8Config fields), {@code bitsandbytes_4bit},
 * {@code bitsandbytes_8bit} (BitsAndBytesConfig fields), {@code compressed-tensors} (a preset scheme).
 *
 * @param byComponent the layout per component of a diffusers pipeline; key "" for a single model
 */
public record Recipe(Map<String, QuantLayout> byComponent, List<String> components) {

    public static Recipe read(Path file) throws IOException {
        Map<String, Object> json = QuantizedCheckpoint.readJson(file);
        if (json.isEmpty()) {
            throw new IllegalArgumentException("recipe " + file + " is empty or missing");
        }
        try {
            return parse(json);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new IllegalArgumentException("recipe " + file + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    public static Recipe parse(Map<String, Object> json) {
        Map<String, QuantLayout> by = new LinkedHashMap<>();
        List<String> components = new ArrayList<>();
        if (json.containsKey("quant_mapping")) {
            unknown(json, Set.of("quant_mapping"), "recipe");
            for (Map.Entry<String, Object> e : ((Map<String, Object>) json.get("quant_mapping")).entrySet()) {
                Map<String, Object> c = (Map<String, Object>) e.getValue();
                by.put(e.getKey(), backend(c));
                components.add(e.getKey());
            }
            return new Recipe(by, components);
        }
        if (json.containsKey("quant_backend")) {
            unknown(json, Set.of("quant_backend", "quant_kwargs", "components_to_quantize"), "recipe");
            QuantLayout layout = backend(json);
            if (json.get("components_to_quantize") instanceof List<?> l) {
                l.forEach(x -> components.add(String.valueOf(x)));
            } else if (json.get("components_to_quantize") instanceof String s) {
                components.add(s);
            }
            by.put("", layout);
            return new Recipe(by, components);
        }
        by.put("", bareConfig(json));
        return new Recipe(by, components);
    }

    /** The layout for a component ("" for a single model), or null when it is not to be quantized. */
    public QuantLayout layoutFor(String component) {
        if (by("").isPresent() && (components.isEmpty() || components.contains(component) || component.isEmpty())) {
            return byComponent.get("");
        }
        return byComponent.get(component);
    }

    private java.util.Optional<QuantLayout> by(String k) {
        return java.util.Optional.ofNullable(byComponent.get(k));
    }

    @SuppressWarnings("unchecked")
    private static QuantLayout backend(Map<String, Object> c) {
        String backend = String.valueOf(c.get("quant_backend"));
        Map<String, Object> kw = c.get("quant_kwargs") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        return switch (backend) {
            case "fp8", "finegrained_fp8", "FineGrainedFP8" -> fp8(kw);
            case "bitsandbytes_4bit" -> bnb(kw, true);
            case "bitsandbytes_8bit" -> bnb(kw, false);
            case "compressed-tensors", "compressed_tensors" -> CompressedTensorsLayout.fromKwargs(kw);
            default -> throw new IllegalArgumentException("unknown quant_backend \"" + backend + "\"; weightcast "
                    + "writes fp8, bitsandbytes_4bit, bitsandbytes_8bit, compressed-tensors");
        };
    }

    private static QuantLayout bareConfig(Map<String, Object> c) {
        if (Boolean.TRUE.equals(c.get("load_in_4bit"))) {
            return bnb(c, true);
        }
        if (Boolean.TRUE.equals(c.get("load_in_8bit"))) {
            return bnb(c, false);
        }
        Object m = c.get("quant_method");
        if (m == null) {
            throw new IllegalArgumentException("no quant_backend, quant_mapping or quant_method: nothing says how to"
                    + " quantize");
        }
        Map<String, Object> kw = new LinkedHashMap<>(c);
        kw.remove("quant_method");
        return switch (String.valueOf(m)) {
            case "fp8" -> fp8(kw);
            case "bitsandbytes" -> bnb(kw, !Boolean.TRUE.equals(c.get("load_in_8bit")));
            case "compressed-tensors" -> CompressedTensorsLayout.fromKwargs(kw);
            default -> throw new IllegalArgumentException("quant_method \"" + m + "\" cannot be written; use fp8, "
                    + "bitsandbytes or compressed-tensors");
        };
    }

    @SuppressWarnings("unchecked")
    private static QuantLayout fp8(Map<String, Object> kw) {
        unknown(kw, Set.of("weight_block_size", "activation_scheme", "modules_to_not_convert", "ignored_layers",
                "dequantize", "scale_fmt", "modules_to_convert", "fp8_rounding"), "fp8 quant_kwargs");
        List<Number> block = (List<Number>) kw.getOrDefault("weight_block_size", List.of(128, 128));
        if (block == null || block.size() != 2) {
            throw new IllegalArgumentException("weight_block_size must be [rows, cols], got " + block);
        }
        if (!"float".equals(kw.getOrDefault("scale_fmt", "float"))) {
            throw new IllegalArgumentException("scale_fmt \"" + kw.get("scale_fmt") + "\" is not written yet; use "
                    + "\"float\"");
        }
        String rounding = String.valueOf(kw.getOrDefault("fp8_rounding", "transformers"));
        Fp8BlockQuantizer.Mode mode = switch (rounding) {
            case "transformers" -> Fp8BlockQuantizer.Mode.TRANSFORMERS;
            case "direct" -> Fp8BlockQuantizer.Mode.DIRECT;
            default -> throw new IllegalArgumentException("fp8_rounding must be \"transformers\" or \"direct\"");
        };
        List<String> skip = (List<String>) kw.getOrDefault("modules_to_not_convert", kw.get("ignored_layers"));
        return new Fp8BlockLayout(block.get(0).intValue(), block.get(1).intValue(), ModuleRules.of(skip), mode,
                String.valueOf(kw.getOrDefault("activation_scheme", "dynamic")));
    }

    @SuppressWarnings("unchecked")
    private static QuantLayout bnb(Map<String, Object> kw, boolean four) {
        unknown(kw, Set.of("load_in_4bit", "load_in_8bit", "bnb_4bit_quant_type", "bnb_4bit_use_double_quant",
                "bnb_4bit_compute_dtype", "bnb_4bit_quant_storage", "llm_int8_skip_modules", "llm_int8_threshold",
                "llm_int8_enable_fp32_cpu_offload", "llm_int8_has_fp16_weight", "bnb_4bit_blocksize",
                "modules_to_not_convert", "_load_in_4bit", "_load_in_8bit", "quant_method"), "bitsandbytes quant_kwargs");
        Object threshold = kw.getOrDefault("llm_int8_threshold", 6.0);
        if (!(threshold instanceof Double)) {
            throw new IllegalArgumentException("llm_int8_threshold must be a float (transformers checks), got "
                    + threshold);
        }
        List<String> skip = (List<String>) kw.getOrDefault("llm_int8_skip_modules", kw.get("modules_to_not_convert"));
        return new BnbLayout(four ? BnbLayout.Bits.FOUR : BnbLayout.Bits.EIGHT,
                String.valueOf(kw.getOrDefault("bnb_4bit_quant_type", "fp4")),
                ((Number) kw.getOrDefault("bnb_4bit_blocksize", 64)).intValue(),
                Boolean.TRUE.equals(kw.get("bnb_4bit_use_double_quant")),
                String.valueOf(kw.getOrDefault("bnb_4bit_compute_dtype", "float32")),
                String.valueOf(kw.getOrDefault("bnb_4bit_quant_storage", "uint8")), (Double) threshold,
                ModuleRules.of(skip));
    }

    private static void unknown(Map<String, Object> m, Set<String> known, String where) {
        for (String k : m.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException(where + ": unknown field \"" + k + "\" (known: "
                        + new java.util.TreeSet<>(known) + ")");
            }
        }
    }
}
