package io.weightcast.core.layout;

import io.weightcast.core.codec.Codecs;
import io.weightcast.core.codec.CompressedTensorsMath;
import io.weightcast.core.codec.CompressedTensorsQuantizer;
import io.weightcast.core.codec.CompressedTensorsRowEncoder;
import io.weightcast.core.codec.Fp8;
import io.weightcast.core.codec.cuda.CudaCompressedTensors;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.core.plan.ElementSource;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * compressed-tensors checkpoints ({@code quant_method: "compressed-tensors"}, hf-formats.md §5), symmetric
 * weights only:
 * <ul>
 *   <li>{@code pack-quantized} int4 (W4A16: group 128) or int8: {@code X.weight_packed} I32
 *       {@code [out, in*b/32]}, {@code X.weight_scale} {@code [out, in/gs]} or {@code [out, 1]},
 *       {@code X.weight_shape} I64 {@code [2]};</li>
 *   <li>{@code naive-quantized} int8 per channel: {@code X.weight} I8 + {@code X.weight_scale [out, 1]};</li>
 *   <li>{@code float-quantized} FP8 per tensor ({@code X.weight_scale [1]}) or per channel ({@code [out, 1]}),
 *       with dynamic per-token FP8 input activations (FP8_DYNAMIC).</li>
 * </ul>
 * Scales have the original weight dtype, as compressed-tensors stores them.
 */
public final class CompressedTensorsLayout implements QuantLayout {
    /** The compressed-tensors version whose config fields this writes (and transformers 5 requires, ≥ 0.15). */
    public static final String VERSION = "0.15.0";

    /** What is stored. */
    public enum Format { PACK_QUANTIZED, NAIVE_QUANTIZED, FLOAT_QUANTIZED }

    /** Scale granularity. */
    public enum Strategy { TENSOR, CHANNEL, GROUP }

    private final Format format;
    private final int bits;
    private final Strategy strategy;
    private final int groupSize;
    private final List<String> ignore;
    private final ModuleRules rules;

    public CompressedTensorsLayout(Format format, int bits, Strategy strategy, int groupSize, List<String> ignore) {
        if (format != Format.FLOAT_QUANTIZED && bits != 4 && bits != 8) {
            throw new IllegalArgumentException("compressed-tensors int weights: num_bits 4 or 8 (other widths pack "
                    + "differently across versions), got " + bits);
        }
        if (format == Format.NAIVE_QUANTIZED && bits != 8) {
            throw new IllegalArgumentException("naive-quantized stores int8 tensors; use pack-quantized for 4 bits");
        }
        if (format == Format.FLOAT_QUANTIZED && strategy == Strategy.GROUP) {
            throw new IllegalArgumentException("float-quantized FP8: strategy tensor or channel");
        }
        this.format = format;
        this.bits = format == Format.FLOAT_QUANTIZED ? 8 : bits;
        this.strategy = strategy;
        this.groupSize = groupSize;
        this.ignore = List.copyOf(ignore);
        // compressed-tensors' ignore: exact names or "re:" regexes; lm_head by default (llm-compressor's habit)
        List<String> patterns = new ArrayList<>();
        for (String i : ignore) {
            patterns.add(i.startsWith("re:") ? i.substring(3) : java.util.regex.Pattern.quote(i) + "$");
        }
        this.rules = ModuleRules.of(patterns);
    }

    /** Presets: W4A16 (default), W8A16, FP8_DYNAMIC (channel), FP8_TENSOR; or explicit fields. */
    @SuppressWarnings("unchecked")
    public static CompressedTensorsLayout fromKwargs(Map<String, Object> kw) {
        for (String k : kw.keySet()) {
            if (!Set.of("scheme", "format", "num_bits", "strategy", "group_size", "ignore", "type").contains(k)) {
                throw new IllegalArgumentException("compressed-tensors quant_kwargs: unknown field \"" + k
                        + "\" (known: scheme, format, num_bits, strategy, group_size, ignore, type)");
            }
        }
        List<String> ignore = (List<String>) kw.getOrDefault("ignore", List.of("lm_head"));
        String scheme = String.valueOf(kw.getOrDefault("scheme", "W4A16"));
        Format f;
        int bits;
        Strategy s;
        int gs = ((Number) kw.getOrDefault("group_size", 128)).intValue();
        switch (scheme) {
            case "W4A16" -> { f = Format.PACK_QUANTIZED; bits = 4; s = Strategy.GROUP; }
            case "W8A16" -> { f = Format.PACK_QUANTIZED; bits = 8; s = Strategy.CHANNEL; }
            case "FP8_DYNAMIC" -> { f = Format.FLOAT_QUANTIZED; bits = 8; s = Strategy.CHANNEL; }
            case "FP8_TENSOR" -> { f = Format.FLOAT_QUANTIZED; bits = 8; s = Strategy.TENSOR; }
            default -> throw new IllegalArgumentException("compressed-tensors scheme \"" + scheme
                    + "\" is not written; use W4A16, W8A16, FP8_DYNAMIC or FP8_TENSOR");
        }
        if (kw.containsKey("format")) {
            f = switch (String.valueOf(kw.get("format"))) {
                case "pack-quantized" -> Format.PACK_QUANTIZED;
                case "naive-quantized" -> Format.NAIVE_QUANTIZED;
                case "float-quantized" -> Format.FLOAT_QUANTIZED;
                default -> throw new IllegalArgumentException("format must be pack-quantized, naive-quantized or "
                        + "float-quantized, got " + kw.get("format"));
            };
        }
        if (kw.containsKey("num_bits")) {
            bits = ((Number) kw.get("num_bits")).intValue();
        }
        if (kw.containsKey("strategy")) {
            s = Strategy.valueOf(String.valueOf(kw.get("strategy")).toUpperCase(java.util.Locale.ROOT));
        }
        return new CompressedTensorsLayout(f, bits, s, gs, ignore);
    }

    @Override
    public String describe() {
        return "compressed-tensors " + formatName() + " (" + (format == Format.FLOAT_QUANTIZED ? "fp8" : "int" + bits)
                + ", " + strategy.name().toLowerCase(java.util.Locale.ROOT)
                + (strategy == Strategy.GROUP ? " " + groupSize : "") + ")";
    }

    private String formatName() {
        return switch (format) {
            case PACK_QUANTIZED -> "pack-quantized";
            case NAIVE_QUANTIZED -> "naive-quantized";
            case FLOAT_QUANTIZED -> "float-quantized";
        };
    }

    @Override
    public ModuleRules rules() {
        return rules;
    }

    @Override
    public Optional<String> unsupportedShape(long[] shape) {
        if (shape.length != 2) {
            return Optional.of("compressed-tensors targets Linear weights (rank 2)");
        }
        if (strategy == Strategy.GROUP && shape[1] % groupSize != 0) {
            return Optional.of("in_features " + shape[1] + " is not a multiple of group_size " + groupSize);
        }
        return Optional.empty();
    }

    @Override
    public WeightEncoder encoder(String name, long[] shape, DType originalDtype, ElementSource source) {
        String module = ModuleRules.moduleOf(name);
        DType sd = originalDtype == DType.F32 || originalDtype == DType.F16 || originalDtype == DType.BF16
                ? originalDtype : DType.BF16;
        int rows = Math.toIntExact(shape[0]);
        int cols = Math.toIntExact(shape[1]);
        float halfRange = format == Format.FLOAT_QUANTIZED ? Fp8.E4M3_MAX : ((1 << bits) - 1) / 2f;
        int groups = strategy == Strategy.GROUP ? cols / groupSize : 1;
        int gs = strategy == Strategy.GROUP ? groupSize : cols;
        float tensorScale;
        if (strategy == Strategy.TENSOR) {
            float[] m = {0f};
            Passes.forEachChunk(source, (long) rows * cols, 1, (v, count, first) -> {
                for (int i = 0; i < count; i++) {
                    m[0] = Math.max(m[0], Math.abs(v[i]));
                }
            });
            tensorScale = CompressedTensorsMath.scale(sd, m[0], halfRange);
        } else {
            tensorScale = 0f;
        }
        long[] scaleShape = strategy == Strategy.TENSOR ? new long[] {1} : new long[] {rows, groups};
        int wordsPerRow = (cols * bits + 31) / 32;
        CompressedTensorsQuantizer quantizer = new CompressedTensorsQuantizer(switch (format) {
            case FLOAT_QUANTIZED -> CompressedTensorsQuantizer.Kind.FP8;
            case NAIVE_QUANTIZED -> CompressedTensorsQuantizer.Kind.INT8;
            case PACK_QUANTIZED -> CompressedTensorsQuantizer.Kind.PACKED;
        }, bits, sd, cols, gs, strategy == Strategy.TENSOR, tensorScale);
        List<TensorSpec> outputs = new ArrayList<>();
        switch (format) {
            case PACK_QUANTIZED -> outputs.add(new TensorSpec(module + ".weight_packed",
                    new long[] {rows, wordsPerRow}, DType.I32));
            case NAIVE_QUANTIZED -> outputs.add(new TensorSpec(name, shape, DType.I8));
            case FLOAT_QUANTIZED -> outputs.add(new TensorSpec(name, shape, DType.F8_E4M3));
        }
        outputs.add(new TensorSpec(module + ".weight_scale", scaleShape, sd));
        if (format == Format.PACK_QUANTIZED) {
            outputs.add(new TensorSpec(module + ".weight_shape", new long[] {2}, DType.I64));
        }
        List<TensorSpec> specs = List.copyOf(outputs);
        return new WeightEncoder() {
            @Override
            public List<TensorSpec> outputs() {
                return specs;
            }

            @Override
            public long bandElements() {
                return cols;
            }

            @Override
            public Band encodeBand(float[] values, int count, long first) {
                return band(quantizer, quantizer, values, count);
            }

            @Override
            public WeightEncoder onDevice(CudaDevice gpu) {
                if (!CudaCompressedTensors.supports(quantizer)) {
                    return this;
                }
                CudaCompressedTensors kernel = new CudaCompressedTensors(gpu, quantizer);
                return new LayoutGpuEncoder(this, (values, count, first) -> band(quantizer, kernel, values, count));
            }

            @Override
            public List<MemorySegment> finish(List<Object> sides) {
                List<Float> all = new ArrayList<>();
                if (strategy == Strategy.TENSOR) {
                    all.add(tensorScale);
                } else {
                    for (Object s : sides) {
                        for (float f : (float[]) s) {
                            all.add(f);
                        }
                    }
                }
                float[] f = new float[all.size()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = all.get(i);
                }
                MemorySegment scale = MemorySegment.ofArray(new byte[Math.toIntExact(sd.byteSize(f.length))]);
                Codecs.forType(sd).encode(f, 0, f.length, scale, 0);
                List<MemorySegment> rest = new ArrayList<>(List.of(scale));
                if (format == Format.PACK_QUANTIZED) {
                    MemorySegment s = MemorySegment.ofArray(new byte[16]);
                    s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED
                            .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, rows);
                    s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED
                            .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 1, cols);
                    rest.add(s);
                }
                return rest;
            }
        };
    }

    /** One band of whole rows: the main bytes and the band's scales. */
    private static WeightEncoder.Band band(CompressedTensorsQuantizer q, CompressedTensorsRowEncoder e,
            float[] values, int count) {
        int bandRows = count / q.cols();
        float[] scales = new float[bandRows * q.scalesPerRow()];
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact((long) q.rowBytes() * bandRows)]);
        e.encodeRows(values, 0, bandRows, out, 0, scales, 0);
        return new WeightEncoder.Band(out, scales);
    }

    @Override
    public Map<String, Object> quantizationConfig(List<String> unquantized, List<String> shapeSkipped) {
        Map<String, Object> weights = args(bits, format == Format.FLOAT_QUANTIZED ? "float" : "int",
                strategy.name().toLowerCase(java.util.Locale.ROOT), strategy == Strategy.GROUP ? groupSize : null,
                false);
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("input_activations", format == Format.FLOAT_QUANTIZED ? args(8, "float", "token", null, true) : null);
        group.put("output_activations", null);
        group.put("targets", List.of("Linear"));
        group.put("weights", weights);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("config_groups", Map.of("group_0", group));
        c.put("format", formatName());
        c.put("global_compression_ratio", null);
        List<String> ign = new ArrayList<>(ignore);
        for (String m : unquantized) {
            if (!ign.contains(m) && rules.skippedBy(m).isEmpty()) {
                ign.add(m);
            }
        }
        c.put("ignore", ign);
        c.put("kv_cache_scheme", null);
        c.put("quant_method", "compressed-tensors");
        c.put("quantization_status", "compressed");
        c.put("sparsity_config", Map.of());
        c.put("transform_config", Map.of());
        c.put("version", VERSION);
        return c;
    }

    private static Map<String, Object> args(int bits, String type, String strategy, Integer groupSize,
            boolean dynamic) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("actorder", null);
        a.put("block_structure", null);
        a.put("dynamic", dynamic);
        a.put("group_size", groupSize);
        a.put("num_bits", bits);
        a.put("observer", dynamic ? null : "minmax");
        a.put("observer_kwargs", Map.of());
        a.put("strategy", strategy);
        a.put("symmetric", true);
        a.put("type", type);
        return a;
    }

    /** For tests: the scale dtype and shape conventions. */
    static String shapeString(long[] s) {
        return Arrays.toString(s);
    }
}
