package io.weightcast.core.layout;

import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Bnb4BitKernel;
import io.weightcast.core.codec.Layouts;
import io.weightcast.core.engine.WeightEncoder;
import io.weightcast.core.plan.ElementSource;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.Shapes;
import io.weightcast.formats.tensor.TensorSpec;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * bitsandbytes checkpoints as {@code Linear4bit}/{@code Linear8bitLt} save them (hf-formats.md §2–3).
 *
 * <p>4-bit, per weight {@code X.weight}: {@code X.weight} U8 {@code [(n+1)/2, 1]} (high nibble first),
 * {@code X.weight.absmax} (F32, or U8 codes with double quant), {@code X.weight.quant_map} F32[16}, with double quant
 * {@code X.weight.nested_absmax} F32 and {@code X.weight.nested_quant_map} F32[256], and
 * {@code X.weight.quant_state.bitsandbytes__nf4|fp4} (U8 bytes of the JSON blob).
 *
 * <p>8-bit: {@code X.weight} I8 {@code [out, in]}, {@code X.SCB} F32 {@code [out]}, {@code X.weight_format} U8 scalar 0.
 */
public final class BnbLayout implements QuantLayout {

    /** Which bnb mode. */
    public enum Bits { FOUR, EIGHT }

    private final Bits bits;
    private final boolean nf4;
    private final int blocksize;
    private final boolean doubleQuant;
    private final String computeDtype;
    private final String quantStorage;
    private final double threshold;
    private final ModuleRules rules;
    private final Bnb4BitKernel kernel;

    public BnbLayout(Bits bits, String quantType, int blocksize, boolean doubleQuant, String computeDtype,
            String quantStorage, double threshold, ModuleRules rules) {
        this(bits, quantType, blocksize, doubleQuant, computeDtype, quantStorage, threshold, rules,
                Bnb4BitKernel.selected());
    }

    public BnbLayout(Bits bits, String quantType, int blocksize, boolean doubleQuant, String computeDtype,
            String quantStorage, double threshold, ModuleRules rules, Bnb4BitKernel kernel) {
        if (!quantType.equals("nf4") && !quantType.equals("fp4")) {
            throw new IllegalArgumentException("bnb_4bit_quant_type must be \"nf4\" or \"fp4\", got \"" + quantType
                    + "\"");
        }
        if (Arrays.stream(Bnb.BLOCK_SIZES).noneMatch(b -> b == blocksize)) {
            throw new IllegalArgumentException("bitsandbytes 4-bit blocksize must be one of "
                    + Arrays.toString(Bnb.BLOCK_SIZES) + ", got " + blocksize);
        }
        if (!quantStorage.equals("uint8")) {
            throw new IllegalArgumentException("bnb_4bit_quant_storage \"" + quantStorage + "\" changes the packed "
                    + "shape and diffusers rejects it (hf-formats.md §2.1); only \"uint8\" is written");
        }
        this.bits = bits;
        this.nf4 = quantType.equals("nf4");
        this.blocksize = blocksize;
        this.doubleQuant = doubleQuant;
        this.computeDtype = computeDtype;
        this.quantStorage = quantStorage;
        this.threshold = threshold;
        this.rules = rules;
        this.kernel = kernel;
    }

    /** transformers' {@code BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=...)} defaults otherwise. */
    public static BnbLayout fourBit(String quantType, boolean doubleQuant, String computeDtype) {
        return new BnbLayout(Bits.FOUR, quantType, 64, doubleQuant, computeDtype, "uint8", 6.0,
                ModuleRules.defaults());
    }

    public static BnbLayout eightBit() {
        return new BnbLayout(Bits.EIGHT, "fp4", 64, false, "float32", "uint8", 6.0, ModuleRules.defaults());
    }

    /** Whether this is the 4-bit layout (whose quant type and block size live in each weight's quant_state). */
    public boolean isFourBit() {
        return bits == Bits.FOUR;
    }

    public String quantType() {
        return nf4 ? "nf4" : "fp4";
    }

    public int blocksize() {
        return blocksize;
    }

    /** The same layout with another quant type and block size (a recipe's per-tensor override). */
    public BnbLayout withParameters(String quantType, int blocksize) {
        return new BnbLayout(bits, quantType, blocksize, doubleQuant, computeDtype, quantStorage, threshold, rules,
                kernel);
    }

    @Override
    public String describe() {
        return bits == Bits.EIGHT ? "bitsandbytes LLM.int8 (row-wise int8 + SCB)"
                : "bitsandbytes " + (nf4 ? "nf4" : "fp4") + " (blocksize " + blocksize
                        + (doubleQuant ? ", double quant" : "") + ")";
    }

    @Override
    public ModuleRules rules() {
        return rules;
    }

    @Override
    public Optional<String> unsupportedShape(long[] shape) {
        return shape.length == 2 ? Optional.empty()
                : Optional.of("bitsandbytes quantizes nn.Linear weights (rank 2), not " + Arrays.toString(shape));
    }

    @Override
    public WeightEncoder encoder(String name, long[] shape, DType originalDtype, ElementSource source) {
        return bits == Bits.EIGHT ? int8(name, shape) : fourBit(name, shape, originalDtype, source);
    }

    private WeightEncoder int8(String name, long[] shape) {
        String module = ModuleRules.moduleOf(name);
        List<TensorSpec> outputs = List.of(new TensorSpec(name, shape, DType.I8),
                new TensorSpec(module + ".SCB", new long[] {shape[0]}, DType.F32),
                new TensorSpec(module + ".weight_format", new long[0], DType.U8));
        return new BnbInt8Encoder(outputs, Math.toIntExact(shape[1]), null);
    }

    private WeightEncoder fourBit(String name, long[] shape, DType originalDtype, ElementSource source) {
        long n = Shapes.elementCount(shape);
        int nblocks = Math.toIntExact((n + blocksize - 1) / blocksize);
        // With double quant, a first pass computes the absmax vector up front: the quant_state JSON, whose length
        // the header must know, holds mean(absmax). Without, each band computes its own blocks' absmax.
        float[] absmax = null;
        Bnb.Nested nested = null;
        if (doubleQuant) {
            float[] all = new float[nblocks];
            Passes.forEachChunkInParallel(source, n, blocksize, (values, count, first) ->
                    Bnb.absmax(values, 0, count, blocksize, all, (int) (first / blocksize)));
            absmax = all;
            nested = Bnb.doubleQuantize(all);
        }
        String qt = nf4 ? "nf4" : "fp4";
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("quant_type", qt);
        state.put("blocksize", blocksize);
        state.put("dtype", QuantLayout.torchName(originalDtype));
        state.put("shape", Arrays.stream(shape).boxed().toList());
        if (doubleQuant) {
            state.put("nested_blocksize", 256);
            state.put("nested_dtype", "float32");
            state.put("nested_offset", (double) nested.offset());
        }
        byte[] json = PyJson.dumps(state).getBytes(StandardCharsets.UTF_8);
        List<TensorSpec> outputs = new ArrayList<>();
        outputs.add(new TensorSpec(name, new long[] {(n + 1) / 2, 1}, DType.U8));
        outputs.add(new TensorSpec(name + ".absmax", new long[] {nblocks}, doubleQuant ? DType.U8 : DType.F32));
        outputs.add(new TensorSpec(name + ".quant_map", new long[] {16}, DType.F32));
        if (doubleQuant) {
            outputs.add(new TensorSpec(name + ".nested_absmax", new long[] {nested.nestedAbsmax().length},
                    DType.F32));
            outputs.add(new TensorSpec(name + ".nested_quant_map", new long[] {256}, DType.F32));
        }
        outputs.add(new TensorSpec(name + ".quant_state.bitsandbytes__" + qt, new long[] {json.length}, DType.U8));
        return new BnbFourBitEncoder(List.copyOf(outputs), nf4, blocksize, absmax, nested, json, kernel, null);
    }

    static MemorySegment floats(float[] f) {
        MemorySegment seg = MemorySegment.ofArray(new byte[f.length * 4]);
        for (int i = 0; i < f.length; i++) {
            seg.setAtIndex(Layouts.LE_FLOAT, i, f[i]);
        }
        return seg;
    }

    /** The float[] side results of the bands, in order (an empty weight's one band has none). */
    static MemorySegment floats(List<Object> sides) {
        int total = sides.stream().filter(s -> s != null).mapToInt(s -> ((float[]) s).length).sum();
        float[] all = new float[total];
        int i = 0;
        for (Object s : sides) {
            if (s == null) {
                continue;
            }
            float[] f = (float[]) s;
            System.arraycopy(f, 0, all, i, f.length);
            i += f.length;
        }
        return floats(all);
    }

    @Override
    public Map<String, Object> quantizationConfig(List<String> unquantized, List<String> shapeSkipped) {
        boolean four = bits == Bits.FOUR;
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("_load_in_4bit", four);
        c.put("_load_in_8bit", !four);
        c.put("bnb_4bit_compute_dtype", computeDtype);
        c.put("bnb_4bit_quant_storage", quantStorage);
        c.put("bnb_4bit_quant_type", four ? (nf4 ? "nf4" : "fp4") : "fp4");
        c.put("bnb_4bit_use_double_quant", four && doubleQuant);
        c.put("llm_int8_enable_fp32_cpu_offload", false);
        c.put("llm_int8_has_fp16_weight", false);
        // Always the explicit list (full module paths): diffusers has no default skip list (hf-formats.md §1.7).
        List<String> skip = new ArrayList<>(rules.explicit() ? rules.patterns() : List.of());
        for (String m : unquantized) {
            if (!skip.contains(m)) {
                skip.add(m);
            }
        }
        c.put("llm_int8_skip_modules", skip.isEmpty() ? null : skip);
        c.put("llm_int8_threshold", threshold);
        c.put("load_in_4bit", four);
        c.put("load_in_8bit", !four);
        c.put("quant_method", "bitsandbytes");
        return c;
    }
}
