package io.weightcast.core.layout;

import io.weightcast.core.codec.Fp8BlockQuantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import io.weightcast.formats.tensor.DType;

/**
 * A quantization recipe in diffusers' {@code PipelineQuantizationConfig} vocabulary:
 * <pre>
 *   {"quant_backend": "bitsandbytes_4bit",
 *    "quant_kwargs": {"load_in_4bit": true, "bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": true,
 *                     "bnb_4bit_compute_dtype": "bfloat16"},
 *    "components_to_quantize": ["transformer", "text_encoder"],
 *    "skip": ["attn\\.to_out"], "overrides": [{"pattern": "mlp\\.down_proj", "quant_kwargs": {...}}]}
 *   {"quant_mapping": {"transformer": {"quant_backend": "fp8", "quant_kwargs": {"weight_block_size": [128, 128]}}}}
 * </pre>
 * Also accepted and mapped onto the layouts weightcast writes: a bare {@code quantization_config}
 * ({@code {"quant_method": "fp8", ...}}, {@code {"load_in_4bit": true, ...}}); torchao / cache-dit
 * {@code quant_type} names; quanto {@code weights_dtype} / {@code weights}; GGUF type names (a GGUF output); and
 * dgenerate's quantizer URIs ({@code {"quantizer": "bnb;bits=4;bits4-quant-type=nf4", "quantizer_map": [...]}}).
 * Every error names the field.
 *
 * @param byComponent the layout per component of a diffusers pipeline; key "" for a single model
 * @param ggufType    for a GGUF recipe, the type (then {@code byComponent} is empty)
 */
public record Recipe(Map<String, QuantLayout> byComponent, List<String> components, DType ggufType) {

    public Recipe(Map<String, QuantLayout> byComponent, List<String> components) {
        this(byComponent, components, null);
    }

    /** The torchao / cache-dit names that map onto a layout, with what they become. */
    static final Map<String, String> TORCHAO = new java.util.TreeMap<>(Map.ofEntries(
            Map.entry("int8_weight_only", "W8A16"), Map.entry("int8wo", "W8A16"),
            Map.entry("int4_weight_only", "W4A16"), Map.entry("int4wo", "W4A16"),
            Map.entry("float8_weight_only", "FP8_DYNAMIC"), Map.entry("float8wo", "FP8_DYNAMIC"),
            Map.entry("float8wo_e4m3", "FP8_DYNAMIC"),
            Map.entry("float8_dynamic_activation_float8_weight", "FP8_DYNAMIC"), Map.entry("float8dq", "FP8_DYNAMIC"),
            Map.entry("float8dq_e4m3", "FP8_DYNAMIC"), Map.entry("float8dq_e4m3_row", "FP8_DYNAMIC"),
            Map.entry("float8dq_e4m3_tensor", "FP8_TENSOR")));

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
            Object mapping = json.get("quant_mapping");
            if (!(mapping instanceof Map<?, ?> mm) || mm.isEmpty()) {
                throw new IllegalArgumentException("quant_mapping must be an object of component -> backend, got "
                        + mapping);
            }
            for (Map.Entry<String, Object> e : ((Map<String, Object>) mapping).entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> c)) {
                    throw new IllegalArgumentException("quant_mapping." + e.getKey() + " must be an object");
                }
                Entry en = entry((Map<String, Object>) c, "quant_mapping." + e.getKey());
                if (en.gguf() != null) {
                    throw new IllegalArgumentException("quant_mapping." + e.getKey() + ": GGUF types make a GGUF file"
                            + " of one model, not a pipeline component; convert the component folder instead");
                }
                by.put(e.getKey(), en.layout());
                components.add(e.getKey());
            }
            return new Recipe(by, components);
        }
        Map<String, Object> rest = new LinkedHashMap<>(json);
        Object comps = rest.remove("components_to_quantize");
        Object qmap = rest.remove("quantizer_map");
        if (comps != null && qmap != null) {
            throw new IllegalArgumentException("components_to_quantize and quantizer_map say the same thing; give one");
        }
        Object list = comps != null ? comps : qmap;
        String listField = comps != null ? "components_to_quantize" : "quantizer_map";
        if (list instanceof List<?> l) {
            l.forEach(x -> components.add(String.valueOf(x)));
        } else if (list instanceof String str) {
            components.addAll(List.of(str.trim().split("[\\s,]+")));
        } else if (list != null) {
            throw new IllegalArgumentException(listField + " must be a list of component names, got " + list);
        }
        Entry en = entry(rest, "recipe");
        if (en.gguf() != null) {
            if (!components.isEmpty()) {
                throw new IllegalArgumentException(listField + ": a GGUF recipe writes one model file; convert each "
                        + "component folder on its own");
            }
            return new Recipe(Map.of(), List.of(), en.gguf());
        }
        by.put("", en.layout());
        return new Recipe(by, components);
    }

    /** One backend entry: a layout for safetensors output, or a GGUF type. */
    private record Entry(QuantLayout layout, DType gguf) {
    }

    /**
     * One backend entry with its {@code skip} / {@code overrides}: {@code quant_backend} + {@code quant_kwargs}, a
     * dgenerate {@code quantizer} URI, a torchao / GGUF {@code quant_type}, or a bare quantization_config.
     */
    @SuppressWarnings("unchecked")
    private static Entry entry(Map<String, Object> json, String where) {
        Map<String, Object> c = new LinkedHashMap<>(json);
        Object skip = c.remove("skip");
        Object overrides = c.remove("overrides");
        Entry base;
        if (c.containsKey("quant_backend")) {
            unknown(c, Set.of("quant_backend", "quant_kwargs"), where);
            Object kw = c.getOrDefault("quant_kwargs", Map.of());
            if (!(kw instanceof Map<?, ?>)) {
                throw new IllegalArgumentException(where + ".quant_kwargs must be an object, got " + kw);
            }
            base = backend(String.valueOf(c.get("quant_backend")), (Map<String, Object>) kw,
                    where + ".quant_kwargs");
        } else if (c.containsKey("quantizer")) {
            unknown(c, Set.of("quantizer"), where);
            base = new Entry(dgenerate(String.valueOf(c.get("quantizer")), where + ".quantizer"), null);
        } else {
            base = bareConfig(c, where);
        }
        if (skip == null && overrides == null) {
            return base;
        }
        if (base.gguf() != null) {
            throw new IllegalArgumentException(where + ": skip/overrides are not supported for GGUF output yet (the "
                    + "GGUF writer applies one type with llama.cpp's fallbacks)");
        }
        List<RecipeLayout.Rule> rules = new ArrayList<>();
        if (skip != null) {
            if (!(skip instanceof List<?> sl)) {
                throw new IllegalArgumentException(where + ".skip must be a list of regular expressions, got " + skip);
            }
            for (Object p : sl) {
                rules.add(new RecipeLayout.Rule(String.valueOf(p), regex(String.valueOf(p), where + ".skip"), null));
            }
        }
        if (overrides != null) {
            if (!(overrides instanceof List<?> ol)) {
                throw new IllegalArgumentException(where + ".overrides must be a list of {\"pattern\", \"skip\" |"
                        + " \"quant_kwargs\"} objects, got " + overrides);
            }
            for (int i = 0; i < ol.size(); i++) {
                String w = where + ".overrides[" + i + "]";
                if (!(ol.get(i) instanceof Map<?, ?> om)) {
                    throw new IllegalArgumentException(w + " must be an object");
                }
                Map<String, Object> o = (Map<String, Object>) om;
                unknown(o, Set.of("pattern", "skip", "quant_kwargs"), w);
                if (!(o.get("pattern") instanceof String pat)) {
                    throw new IllegalArgumentException(w + ".pattern must be a regular expression string");
                }
                boolean sk = Boolean.TRUE.equals(o.get("skip"));
                if (sk == o.containsKey("quant_kwargs")) {
                    throw new IllegalArgumentException(w + ": give either \"skip\": true or \"quant_kwargs\"");
                }
                rules.add(new RecipeLayout.Rule(pat, regex(pat, w + ".pattern"),
                        sk ? null : override(base.layout(), (Map<String, Object>) o.get("quant_kwargs"),
                                w + ".quant_kwargs")));
            }
        }
        return new Entry(new RecipeLayout(base.layout(), rules), null);
    }

    private static java.util.regex.Pattern regex(String p, String where) {
        try {
            return java.util.regex.Pattern.compile(p);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new IllegalArgumentException(where + ": '" + p + "' is not a valid regular expression: "
                    + e.getDescription());
        }
    }

    /**
     * A per-tensor layout. Only bitsandbytes 4-bit stores its parameters per weight (quant type and block size in
     * each quant_state), so only its {@code bnb_4bit_quant_type} and {@code bnb_4bit_blocksize} may differ; every
     * other layout has one quantization_config for the whole checkpoint, which the loader applies to all weights.
     */
    private static QuantLayout override(QuantLayout base, Map<String, Object> kw, String where) {
        if (!(base instanceof BnbLayout b) || !b.isFourBit()) {
            throw new IllegalArgumentException(where + ": " + base.describe() + " has one quantization_config for "
                    + "the whole checkpoint, so weights cannot take other parameters; only bitsandbytes 4-bit keeps "
                    + "them per weight (quant_state). Use \"skip\": true to leave weights unquantized");
        }
        unknown(kw, Set.of("bnb_4bit_quant_type", "bnb_4bit_blocksize"), where);
        return b.withParameters(String.valueOf(kw.getOrDefault("bnb_4bit_quant_type", b.quantType())),
                kw.get("bnb_4bit_blocksize") instanceof Number n ? n.intValue() : b.blocksize());
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

    private static final String BACKENDS = "fp8, bitsandbytes_4bit, bitsandbytes_8bit, compressed-tensors, torchao "
            + "(quant_type), quanto (weights_dtype), gguf (quant_type)";

    @SuppressWarnings("unchecked")
    private static Entry backend(String backend, Map<String, Object> kw, String where) {
        return switch (backend) {
            case "fp8", "finegrained_fp8", "FineGrainedFP8" -> new Entry(fp8(kw), null);
            case "bitsandbytes_4bit" -> new Entry(bnb(kw, true), null);
            case "bitsandbytes_8bit" -> new Entry(bnb(kw, false), null);
            case "bitsandbytes" -> new Entry(bnb(kw, !Boolean.TRUE.equals(kw.get("load_in_8bit"))), null);
            case "compressed-tensors", "compressed_tensors" -> new Entry(CompressedTensorsLayout.fromKwargs(kw), null);
            case "torchao" -> {
                unknown(kw, Set.of("quant_type", "group_size", "modules_to_not_convert"), where);
                yield torchao(kw, where);
            }
            case "quanto" -> new Entry(quanto(kw, where), null);
            case "gguf" -> {
                unknown(kw, Set.of("quant_type", "type", "compute_dtype"), where);
                Object t = kw.getOrDefault("quant_type", kw.get("type"));
                if (t == null) {
                    throw new IllegalArgumentException(where + ".quant_type: the GGUF type is missing (Q8_0, Q4_K, …)");
                }
                yield new Entry(null, ggufType(String.valueOf(t), where + ".quant_type"));
            }
            default -> throw new IllegalArgumentException("unknown quant_backend \"" + backend + "\"; weightcast "
                    + "writes " + BACKENDS);
        };
    }

    /** torchao / cache-dit {@code quant_type}: a torchao name mapped onto compressed-tensors, or a GGUF type. */
    @SuppressWarnings("unchecked")
    private static Entry torchao(Map<String, Object> kw, String where) {
        String t = String.valueOf(kw.get("quant_type"));
        if (!kw.containsKey("quant_type")) {
            throw new IllegalArgumentException(where + ".quant_type is missing (torchao names: "
                    + TORCHAO.keySet() + ", or a GGUF type)");
        }
        String scheme = TORCHAO.get(t);
        if (scheme == null) {
            if (t.matches("(?i)(f32|f16|bf16|q\\d.*|iq\\d.*|tq\\d.*)")) {
                return new Entry(null, ggufType(t, where + ".quant_type"));
            }
            throw new IllegalArgumentException(where + ".quant_type: \"" + t + "\" has no weightcast layout (torchao"
                    + " stores it as pickled tensor subclasses, and its compressed-tensors counterpart is not written);"
                    + " accepted: " + TORCHAO.keySet() + " or a GGUF type");
        }
        Map<String, Object> ct = new LinkedHashMap<>();
        ct.put("scheme", scheme);
        if (kw.get("group_size") != null) {
            if (!scheme.equals("W4A16")) {
                throw new IllegalArgumentException(where + ".group_size applies to int4_weight_only only");
            }
            ct.put("group_size", kw.get("group_size"));
        }
        if (kw.get("modules_to_not_convert") instanceof List<?> l) {
            ct.put("ignore", l);
        }
        return new Entry(CompressedTensorsLayout.fromKwargs(ct), null);
    }

    /**
     * quanto's {@code weights_dtype} (diffusers) / {@code weights} (transformers). transformers cannot save quanto
     * checkpoints and diffusers' quanto support is deprecated (hf-formats.md §6.3), so the same arithmetic is
     * written as compressed-tensors: int8 → W8A16, int4 → W4A16, float8 → FP8_DYNAMIC (per-row scales).
     */
    @SuppressWarnings("unchecked")
    private static QuantLayout quanto(Map<String, Object> kw, String where) {
        unknown(kw, Set.of("weights_dtype", "weights", "activations", "modules_to_not_convert", "quant_method"), where);
        String field = kw.containsKey("weights_dtype") ? "weights_dtype" : "weights";
        Object w = kw.get(field);
        if (kw.get("activations") != null && !"none".equals(kw.get("activations"))) {
            throw new IllegalArgumentException(where + ".activations: only weight quantization is written");
        }
        String scheme = switch (String.valueOf(w)) {
            case "int8", "qint8" -> "W8A16";
            case "int4", "qint4" -> "W4A16";
            case "float8", "qfloat8", "float8_e4m3fn" -> "FP8_DYNAMIC";
            default -> throw new IllegalArgumentException(where + "." + field + ": \"" + w + "\" has no weightcast "
                    + "layout; accepted: int8, int4, float8 (written as compressed-tensors W8A16, W4A16, FP8_DYNAMIC)");
        };
        Map<String, Object> ct = new LinkedHashMap<>();
        ct.put("scheme", scheme);
        if (kw.get("modules_to_not_convert") instanceof List<?> l) {
            ct.put("ignore", l);
        }
        return CompressedTensorsLayout.fromKwargs(ct);
    }

    static DType ggufType(String name, String where) {
        DType t;
        try {
            t = DType.valueOf(name.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": \"" + name + "\" is not a GGUF type name");
        }
        try {
            io.weightcast.core.plan.GgufTypeRules.requireWritable(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        return t;
    }

    /**
     * dgenerate's quantizer URI (hf-formats.md §9): {@code bnb;bits=4;bits4-compute-dtype=float16;
     * bits4-quant-type=nf4;bits4-use-double-quant=true;bits4-quant-storage=uint8}; defaults bits=8, quant type
     * fp4, no double quant. {@code bnb} and {@code bitsandbytes} both work; {@code quant-type}/{@code quant_type}
     * are taken as short forms of {@code bits4-quant-type}. sdnq URIs are refused (SDNQ is not written).
     */
    static QuantLayout dgenerate(String uri, String where) {
        String[] parts = uri.split(";");
        String name = parts[0].trim();
        if (name.equals("sdnq")) {
            throw new IllegalArgumentException(where + ": sdnq quantizer URIs are not supported (weightcast does not "
                    + "write SDNQ); use bnb;bits=4|8");
        }
        if (!name.equals("bnb") && !name.equals("bitsandbytes")) {
            throw new IllegalArgumentException(where + ": unknown quantizer \"" + name + "\" in \"" + uri
                    + "\"; known: bnb, bitsandbytes");
        }
        Map<String, Object> kw = new LinkedHashMap<>();
        int bits = 8;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(where + ": \"" + p + "\" is not key=value");
            }
            String k = p.substring(0, eq).trim().replace('_', '-');
            String v = p.substring(eq + 1).trim().replaceAll("^['\"]|['\"]$", "");
            switch (k) {
                case "bits" -> {
                    if (!v.equals("4") && !v.equals("8")) {
                        throw new IllegalArgumentException(where + ": bits must be 4 or 8, got " + v);
                    }
                    bits = Integer.parseInt(v);
                }
                case "bits4-compute-dtype", "compute-dtype" -> kw.put("bnb_4bit_compute_dtype", v);
                case "bits4-quant-type", "quant-type" -> kw.put("bnb_4bit_quant_type", v);
                case "bits4-use-double-quant", "use-double-quant" -> {
                    if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
                        throw new IllegalArgumentException(where + ": bits4-use-double-quant must be true or false,"
                                + " got " + v);
                    }
                    kw.put("bnb_4bit_use_double_quant", Boolean.parseBoolean(v.toLowerCase(java.util.Locale.ROOT)));
                }
                case "bits4-quant-storage", "quant-storage" -> kw.put("bnb_4bit_quant_storage", v);
                default -> throw new IllegalArgumentException(where + ": unknown bnb URI argument \"" + k
                        + "\"; known: bits, bits4-compute-dtype, bits4-quant-type, bits4-use-double-quant,"
                        + " bits4-quant-storage");
            }
        }
        if (bits == 8 && !kw.isEmpty()) {
            throw new IllegalArgumentException(where + ": " + kw.keySet() + " apply to bits=4 only");
        }
        return bnb(kw, bits == 4);
    }

    private static Entry bareConfig(Map<String, Object> c, String where) {
        if (Boolean.TRUE.equals(c.get("load_in_4bit")) && Boolean.TRUE.equals(c.get("load_in_8bit"))) {
            throw new IllegalArgumentException(where + ": load_in_4bit and load_in_8bit are both true");
        }
        if (Boolean.TRUE.equals(c.get("load_in_4bit"))) {
            return new Entry(bnb(c, true), null);
        }
        if (Boolean.TRUE.equals(c.get("load_in_8bit"))) {
            return new Entry(bnb(c, false), null);
        }
        Object m = c.get("quant_method");
        Map<String, Object> kw = new LinkedHashMap<>(c);
        kw.remove("quant_method");
        if (m == null && c.containsKey("quant_type")) {
            return backend("torchao", kw, where);
        }
        if (m == null && (c.containsKey("weights_dtype"))) {
            return new Entry(quanto(kw, where), null);
        }
        if (m == null) {
            throw new IllegalArgumentException(where + ": no quant_backend, quant_mapping, quantizer, quant_type or "
                    + "quant_method: nothing says how to quantize");
        }
        return switch (String.valueOf(m)) {
            case "fp8" -> new Entry(fp8(kw), null);
            case "bitsandbytes" -> new Entry(bnb(kw, !Boolean.TRUE.equals(c.get("load_in_8bit"))), null);
            case "compressed-tensors" -> new Entry(CompressedTensorsLayout.fromKwargs(kw), null);
            case "torchao" -> backend("torchao", kw, where);
            case "quanto" -> new Entry(quanto(kw, where), null);
            case "gguf" -> backend("gguf", kw, where);
            default -> throw new IllegalArgumentException(where + ".quant_method: \"" + m + "\" cannot be written; "
                    + "use fp8, bitsandbytes, compressed-tensors, torchao, quanto or gguf");
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
        for (String k : List.of("load_in_4bit", "load_in_8bit", "bnb_4bit_use_double_quant",
                "llm_int8_enable_fp32_cpu_offload", "llm_int8_has_fp16_weight")) {
            if (kw.get(k) != null && !(kw.get(k) instanceof Boolean)) {
                throw new IllegalArgumentException(k + " must be true or false, got " + kw.get(k));
            }
        }
        if (four && Boolean.TRUE.equals(kw.get("load_in_8bit")) || !four && Boolean.TRUE.equals(kw.get("load_in_4bit"))) {
            throw new IllegalArgumentException((four ? "load_in_8bit" : "load_in_4bit") + " contradicts the backend ("
                    + (four ? "bitsandbytes_4bit" : "bitsandbytes_8bit") + ")");
        }
        Object cd = kw.getOrDefault("bnb_4bit_compute_dtype", "float32");
        if (!Set.of("float32", "float16", "bfloat16").contains(String.valueOf(cd).replace("torch.", ""))) {
            throw new IllegalArgumentException("bnb_4bit_compute_dtype must be float32, float16 or bfloat16, got " + cd);
        }
        if (kw.get("bnb_4bit_blocksize") != null && !(kw.get("bnb_4bit_blocksize") instanceof Number)) {
            throw new IllegalArgumentException("bnb_4bit_blocksize must be a number, got " + kw.get("bnb_4bit_blocksize"));
        }
        if (kw.get("llm_int8_skip_modules") != null && !(kw.get("llm_int8_skip_modules") instanceof List<?>)
                || kw.get("modules_to_not_convert") != null && !(kw.get("modules_to_not_convert") instanceof List<?>)) {
            throw new IllegalArgumentException("llm_int8_skip_modules / modules_to_not_convert must be lists of names");
        }
        List<String> skip = (List<String>) kw.getOrDefault("llm_int8_skip_modules", kw.get("modules_to_not_convert"));
        return new BnbLayout(four ? BnbLayout.Bits.FOUR : BnbLayout.Bits.EIGHT,
                String.valueOf(kw.getOrDefault("bnb_4bit_quant_type", "fp4")),
                ((Number) kw.getOrDefault("bnb_4bit_blocksize", 64)).intValue(),
                Boolean.TRUE.equals(kw.get("bnb_4bit_use_double_quant")),
                String.valueOf(cd).replace("torch.", ""),
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
