package io.weightcast.core.layout;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.weightcast.core.codec.Bnb;
import io.weightcast.core.codec.Layouts;
import io.weightcast.core.codec.cuda.HfDecode;
import io.weightcast.core.plan.ElementSource;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.TensorView;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads bitsandbytes 4-bit (the quant_state blob and its companion keys) and LLM.int8 ({@code weight} I8 +
 * {@code SCB}) weights, using the stored {@code quant_map}/{@code nested_quant_map} (hf-formats.md §2.5).
 */
final class BnbReader implements LayoutReader {
    // Python's json.dumps writes a NaN or infinite nested_offset (weights holding NaN/inf) as NaN / Infinity, and
    // json.loads reads them back: so do we.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final Set<String> VALID_KEYS = Set.of("absmax", "quant_map", "nested_absmax", "nested_quant_map",
            "quant_state", "quant_type", "blocksize", "dtype", "shape", "nested_blocksize", "nested_dtype",
            "nested_offset");

    @Override
    public List<LogicalTensor> claim(Map<String, TensorView> remaining, Map<String, Object> config, ReadContext ctx)
            throws java.io.IOException {
        List<LogicalTensor> out = new ArrayList<>();
        List<String> used = new ArrayList<>();
        for (TensorView qs : List.copyOf(remaining.values())) {
            int at = qs.name().indexOf(".quant_state.bitsandbytes__");
            if (at < 0) {
                continue;
            }
            String w = qs.name().substring(0, at);
            out.add(fourBit(w, qs, remaining, used));
        }
        used.forEach(remaining::remove);
        used.clear();
        for (TensorView scb : List.copyOf(remaining.values())) {
            if (!scb.name().endsWith(".SCB")) {
                continue;
            }
            String module = scb.name().substring(0, scb.name().length() - 4);
            TensorView w = remaining.get(module + ".weight");
            if (w == null || w.dtype() != DType.I8 || w.rank() != 2 || scb.elementCount() != w.shape()[0]) {
                continue;
            }
            long cols = w.shape()[1];
            float[] s = floats(scb);
            out.add(new LogicalTensor(w.name(), w.shape(), ctx.modelDtype() == DType.F32 ? DType.F16 : ctx.modelDtype(),
                    "bitsandbytes int8 (row-wise, SCB)", remaining.containsKey(module + ".weight_format")
                            ? List.of(w, scb, remaining.get(module + ".weight_format")) : List.of(w, scb),
                    new DeviceDecoder((first, count, dst, off) -> {
                        for (int k = 0; k < count; k++) {
                            long i = first + k;
                            dst[off + k] = w.data().get(Layouts.BYTE, i) * s[(int) (i / cols)] * Bnb.INV_127;
                        }
                    }, () -> HfDecode.int8(w.data(), s, cols))));
            used.add(w.name());
            used.add(scb.name());
            used.add(module + ".weight_format");
        }
        used.forEach(remaining::remove);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static LogicalTensor fourBit(String w, TensorView qs, Map<String, TensorView> remaining, List<String> used)
            throws java.io.IOException {
        byte[] raw = qs.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        Map<String, Object> state;
        try {
            state = JSON.readValue(new String(raw, StandardCharsets.UTF_8), Map.class);
        } catch (Exception e) {
            throw new MalformedFileException(qs.file(), qs.fileOffset(), "tensor '" + qs.name()
                    + "' is not the UTF-8 JSON of a bitsandbytes quant_state: " + e.getMessage());
        }
        for (String k : state.keySet()) {
            if (!VALID_KEYS.contains(k)) {
                throw new MalformedFileException(qs.file(), qs.fileOffset(), "quant_state '" + qs.name()
                        + "' has the key '" + k + "', which bitsandbytes rejects");
            }
        }
        TensorView packed = need(remaining, w, qs);
        TensorView absmaxT = need(remaining, w + ".absmax", qs);
        TensorView quantMapT = need(remaining, w + ".quant_map", qs);
        int blocksize = ((Number) state.get("blocksize")).intValue();
        long[] shape = ((List<Number>) state.get("shape")).stream().mapToLong(Number::longValue).toArray();
        float[] quantMap = floats(quantMapT);
        float[] absmax;
        List<TensorView> parts = new ArrayList<>(List.of(packed, absmaxT, quantMapT));
        boolean nested = state.containsKey("nested_offset");
        if (nested) {
            TensorView na = need(remaining, w + ".nested_absmax", qs);
            TensorView nm = need(remaining, w + ".nested_quant_map", qs);
            parts.add(na);
            parts.add(nm);
            absmax = Bnb.undoubleQuantize(absmaxT.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    floats(nm), floats(na), ((Number) state.getOrDefault("nested_blocksize", 256)).intValue(),
                    ((Number) state.get("nested_offset")).floatValue());
        } else {
            absmax = floats(absmaxT);
        }
        parts.add(qs);
        parts.forEach(p -> used.add(p.name()));
        String qt = String.valueOf(state.get("quant_type"));
        DType dtype = switch (String.valueOf(state.get("dtype"))) {
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> DType.F32;
        };
        long n = io.weightcast.formats.tensor.Shapes.elementCount(shape);
        if (packed.byteSize() != (n + 1) / 2 || absmax.length != (n + blocksize - 1) / blocksize) {
            throw new MalformedFileException(packed.file(), packed.fileOffset(), "bitsandbytes weight '" + w
                    + "': " + packed.byteSize() + " packed bytes and " + absmax.length + " absmax values do not fit"
                    + " shape " + java.util.Arrays.toString(shape) + " in blocks of " + blocksize);
        }
        ElementSource cpu = (first, count, dst, off) -> Bnb.dequantize4(packed.data(), quantMap, absmax, blocksize,
                first, count, dst, off);
        return new LogicalTensor(w, shape, dtype, "bitsandbytes " + qt + " (blocksize " + blocksize
                + (nested ? ", double quant" : "") + ")", parts, quantMap.length < 16 || blocksize <= 0 ? cpu
                        : new DeviceDecoder(cpu, () -> HfDecode.bnb4(packed.data(), quantMap, absmax, blocksize)));
    }

    private static TensorView need(Map<String, TensorView> remaining, String name, TensorView qs)
            throws java.io.IOException {
        TensorView t = remaining.get(name);
        if (t == null) {
            throw new MalformedFileException(qs.file(), qs.fileOffset(), "bitsandbytes quant_state '" + qs.name()
                    + "' has no companion tensor '" + name + "' in this checkpoint");
        }
        return t;
    }

    static float[] floats(TensorView t) {
        float[] f = new float[Math.toIntExact(t.elementCount())];
        io.weightcast.core.codec.Codecs.forType(t.dtype()).decode(t.data(), 0, f.length, f, 0);
        return f;
    }
}
