package io.weightcast.core.layout;

import io.weightcast.core.codec.Fp8BlockQuantizer;
import io.weightcast.core.codec.Layouts;
import io.weightcast.core.codec.cuda.CudaDevice;
import io.weightcast.core.codec.cuda.CudaFp8Block;
import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * transformers' fine-grained FP8 ({@code quant_method: "fp8"}, DeepSeek-V3 style; hf-formats.md §4.2):
 * {@code X.weight} F8_E4M3 {@code [.., out, in]} and {@code X.weight_scale_inv} F32
 * {@code [.., out/bm, in/bn]}. Weights whose last two dimensions do not divide the block stay unquantized (transformers'
 * Fp8Quantize refuses them) and are listed in {@code modules_to_not_convert}.
 *
 * <p>Streams in bands of {@code bm} rows: one band is {@code bm × in} values, so memory does not depend on the
 * weight's height.
 */
public final class Fp8BlockLayout implements QuantLayout {
    private final int blockM;
    private final int blockN;
    private final ModuleRules rules;
    private final Fp8BlockQuantizer quantizer;
    private final String activationScheme;

    public Fp8BlockLayout(int blockM, int blockN, ModuleRules rules, Fp8BlockQuantizer.Mode mode,
            String activationScheme) {
        if (blockM < 1 || blockN < 1) {
            throw new IllegalArgumentException("weight_block_size must be positive, got [" + blockM + ", " + blockN
                    + "]");
        }
        this.blockM = blockM;
        this.blockN = blockN;
        this.rules = rules;
        this.quantizer = Fp8BlockQuantizer.of(mode);
        this.activationScheme = activationScheme;
    }

    public static Fp8BlockLayout defaults() {
        return new Fp8BlockLayout(128, 128, ModuleRules.defaults(), Fp8BlockQuantizer.Mode.TRANSFORMERS, "dynamic");
    }

    @Override
    public String describe() {
        return "fp8 (block " + blockM + "x" + blockN + ", e4m3fn, weight_scale_inv)";
    }

    @Override
    public ModuleRules rules() {
        return rules;
    }

    @Override
    public Optional<String> unsupportedShape(long[] shape) {
        long rows = shape[shape.length - 2];
        long cols = shape[shape.length - 1];
        if (rows % blockM != 0 || cols % blockN != 0) {
            return Optional.of("shape " + Arrays.toString(shape) + " does not divide the " + blockM + "x" + blockN
                    + " block");
        }
        return Optional.empty();
    }

    @Override
    public WeightEncoder encoder(String name, long[] shape, DType originalDtype,
            io.weightcast.core.plan.ElementSource source) {
        long[] scaleShape = shape.clone();
        scaleShape[shape.length - 2] = shape[shape.length - 2] / blockM;
        scaleShape[shape.length - 1] = shape[shape.length - 1] / blockN;
        int cols = Math.toIntExact(shape[shape.length - 1]);
        List<TensorSpec> outputs = List.of(new TensorSpec(name, shape, DType.F8_E4M3),
                new TensorSpec(name + "_scale_inv", scaleShape, DType.F32));
        return new WeightEncoder() {
            @Override
            public List<TensorSpec> outputs() {
                return outputs;
            }

            @Override
            public long bandElements() {
                return (long) blockM * cols;
            }

            @Override
            public Band encodeBand(float[] values, int count, long first) {
                int bandRows = count / cols;
                int tilesPerRow = cols / blockN;
                MemorySegment out = MemorySegment.ofArray(new byte[count]);
                float[] inv = new float[(bandRows / blockM) * tilesPerRow];
                for (int r = 0; r < bandRows; r += blockM) {
                    quantizer.quantizeBand(values, r * cols, blockM, cols, blockN, out, (long) r * cols, inv,
                            (r / blockM) * tilesPerRow);
                }
                return new Band(out, inv);
            }

            @Override
            public WeightEncoder onDevice(CudaDevice gpu) {
                // the kernel covers the whole band (all its tile rows) in one launch, with the same bytes
                CudaFp8Block kernel = new CudaFp8Block(gpu, quantizer.mode());
                WeightEncoder cpu = this;
                return new LayoutGpuEncoder(cpu, (values, count, first) -> {
                    int bandRows = count / cols;
                    MemorySegment out = MemorySegment.ofArray(new byte[count]);
                    float[] inv = new float[(bandRows / blockM) * (cols / blockN)];
                    kernel.encode(values, 0, bandRows, cols, blockM, blockN, out, 0, inv, 0);
                    return new Band(out, inv);
                });
            }

            @Override
            public List<MemorySegment> finish(List<Object> sides) {
                int total = sides.stream().mapToInt(s -> ((float[]) s).length).sum();
                MemorySegment seg = MemorySegment.ofArray(new byte[total * 4]);
                long i = 0;
                for (Object s : sides) {
                    for (float f : (float[]) s) {
                        seg.setAtIndex(Layouts.LE_FLOAT, i++, f);
                    }
                }
                return List.of(seg);
            }
        };
    }

    @Override
    public Map<String, Object> quantizationConfig(List<String> unquantized, List<String> shapeSkipped) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("activation_scheme", activationScheme);
        c.put("dequantize", false);
        c.put("modules_to_convert", null);
        // transformers' defaults already skip lm_head; only an explicit list (user patterns, shape skips) is written
        List<String> list = null;
        if (rules.explicit() || !shapeSkipped.isEmpty()) {
            list = new ArrayList<>(rules.explicit() ? rules.patterns() : unquantized);
            for (String s : shapeSkipped) {
                if (!list.contains(s)) {
                    list.add(s);
                }
            }
        }
        c.put("modules_to_not_convert", list);
        c.put("quant_method", "fp8");
        c.put("scale_fmt", "float");
        c.put("weight_block_size", List.of(blockM, blockN));
        return c;
    }
}
