package io.weightcast.core.layout;

import io.weightcast.core.codec.Fp8;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * optimum-quanto, read only (hf-formats.md §6). Per quantized Linear {@code X}:
 * <ul>
 *   <li>8-bit ({@code qint8}, {@code qfloat8[_e4m3fn]}, {@code qfloat8_e5m2}): {@code X.weight._data} I8/F8
 *       {@code [out, in]} + {@code X.weight._scale} {@code [out, 1]}; {@code w = q * scale};</li>
 *   <li>2/4-bit ({@code qint2}, {@code qint4}): {@code X.weight._data._data} U8 packed planar along dim 0 of the
 *       grouped view {@code [R = out*in/gs, gs]} (row r in packed row {@code r % rowsPacked} at bit offset
 *       {@code bits * (r / rowsPacked)}) + {@code X.weight._scale} and {@code X.weight._shift} {@code [R, 1]};
 *       {@code w = q * scale - shift}.</li>
 * </ul>
 * The weight type of each module comes from {@code quanto_qmap.json} beside the weights (the authority), else
 * from {@code quantization_config} ({@code weights} in transformers, {@code weights_dtype} in diffusers), else
 * from the stored dtypes (8-bit) or the packed shape (sub-byte, flagged as inferred). The stored keys must agree.
 *
 * <p>quanto does not store the logical shape of a 2/4-bit weight (its module knows it). It is recovered from the
 * layer's bias ({@code out}), else from config.json: the module name's usual input width (hidden_size,
 * intermediate_size, heads × head_dim), else the one integer of the config that is consistent with quanto's
 * group-size rule; failing all, the stored grouped view is reported and the layout text says so.
 */
final class QuantoReader implements LayoutReader {

    @Override
    @SuppressWarnings("unchecked")
    public List<LogicalTensor> claim(Map<String, TensorView> remaining, Map<String, Object> config, ReadContext ctx)
            throws IOException {
        Map<String, Object> qmap = ctx.folder() == null ? Map.of()
                : QuantizedCheckpoint.readJson(ctx.folder().resolve("quanto_qmap.json"));
        String configType = "quanto".equals(config.get("quant_method"))
                ? String.valueOf(config.getOrDefault("weights", config.get("weights_dtype"))) : null;
        List<LogicalTensor> out = new ArrayList<>();
        List<String> used = new ArrayList<>();
        for (TensorView scale : List.copyOf(remaining.values())) {
            if (!scale.name().endsWith(".weight._scale")) {
                continue;
            }
            String wn = scale.name().substring(0, scale.name().length() - "._scale".length());
            String module = wn.substring(0, wn.length() - ".weight".length());
            TensorView data8 = remaining.get(wn + "._data");
            TensorView packed = remaining.get(wn + "._data._data");
            TensorView shift = remaining.get(wn + "._shift");
            String qtype = null;
            String source;
            if (qmap.get(module) instanceof Map<?, ?> entry) {
                qtype = String.valueOf(((Map<String, Object>) entry).get("weights"));
                source = "quanto_qmap.json";
                if (qtype.equals("none") || qtype.equals("null")) {
                    throw new IllegalArgumentException(scale.name() + ": quanto_qmap.json says module " + module
                            + " has weights \"" + qtype + "\" but the checkpoint stores quantized keys");
                }
            } else if (configType != null && !configType.equals("null")) {
                qtype = qtypeOf(configType);
                source = "quantization_config";
            } else {
                source = "stored keys";
            }
            if (qtype == null) {
                qtype = data8 != null ? switch (data8.dtype()) {
                    case I8 -> "qint8";
                    case F8_E4M3 -> "qfloat8_e4m3fn";
                    case F8_E5M2 -> "qfloat8_e5m2";
                    default -> throw new IllegalArgumentException(data8.name() + ": quanto 8-bit data must be I8 or"
                            + " F8, found " + data8.dtype());
                } : packed != null ? "inferred" : null;
            }
            if (qtype == null) {
                continue;
            }
            float[] s = BnbReader.floats(scale);
            switch (qtype) {
                case "qint8", "qfloat8", "qfloat8_e4m3fn", "qfloat8_e5m2" -> {
                    DType want = qtype.equals("qint8") ? DType.I8
                            : qtype.equals("qfloat8_e5m2") ? DType.F8_E5M2 : DType.F8_E4M3;
                    if (data8 == null || data8.dtype() != want || data8.rank() != 2) {
                        throw new IllegalArgumentException(wn + ": " + source + " says " + qtype + ", which quanto"
                                + " stores as " + wn + "._data " + want + " [out, in]; found "
                                + (data8 == null ? "no such key" : data8.dtype() + Arrays.toString(data8.shape())));
                    }
                    long rows = data8.shape()[0];
                    long cols = data8.shape()[1];
                    if (s.length != 1 && s.length != rows) {
                        throw new IllegalArgumentException(scale.name() + ": " + s.length + " scales for " + rows
                                + " rows (quanto scales weights per output row, axis 0)");
                    }
                    DType dt = data8.dtype();
                    out.add(new LogicalTensor(wn, data8.shape(), scale.dtype(), "quanto " + qtype + " per row",
                            List.of(data8, scale), (first, count, dst, off) -> {
                                for (int k = 0; k < count; k++) {
                                    long i = first + k;
                                    byte q = data8.data().get(Layouts.BYTE, i);
                                    float v = dt == DType.I8 ? q : dt == DType.F8_E5M2 ? Fp8.e5m2ToFloat(q)
                                            : Fp8.e4m3ToFloat(q);
                                    dst[off + k] = v * s[s.length == 1 ? 0 : (int) (i / cols)];
                                }
                            }));
                    used.addAll(List.of(data8.name(), scale.name()));
                }
                case "qint4", "qint2", "inferred" -> {
                    if (packed == null || shift == null || packed.dtype() != DType.U8 || packed.rank() != 2) {
                        throw new IllegalArgumentException(wn + ": " + source + " says " + qtype + ", which quanto"
                                + " stores as " + wn + "._data._data U8 [rows_packed, group] + " + wn + "._shift;"
                                + " found " + (packed == null ? "no packed data" : shift == null ? "no _shift"
                                : packed.dtype() + Arrays.toString(packed.shape())));
                    }
                    long rowsPacked = packed.shape()[0];
                    long gs = packed.shape()[1];
                    long groupsR = scale.elementCount();
                    int bits = qtype.equals("qint4") ? 4 : qtype.equals("qint2") ? 2
                            : (int) (8 / Math.max(1, (groupsR + rowsPacked - 1) / rowsPacked));
                    if (bits != 2 && bits != 4 || (groupsR + 8 / bits - 1) / (8 / bits) != rowsPacked
                            || shift.elementCount() != groupsR) {
                        throw new IllegalArgumentException(packed.name() + ": " + rowsPacked + " packed rows, "
                                + groupsR + " scales and " + shift.elementCount() + " shifts do not fit quanto "
                                + (qtype.equals("inferred") ? "2/4-bit" : qtype) + " packing (" + source + ")");
                    }
                    float[] sh = BnbReader.floats(shift);
                    long total = groupsR * gs;
                    TensorView bias = remaining.get(module + ".bias");
                    long in = inFeatures(module, total, gs, bias, ctx.fullConfig());
                    long[] shape = in > 0 ? new long[] {total / in, in} : new long[] {groupsR, gs};
                    String layout = "quanto qint" + bits + " group " + gs
                            + (qtype.equals("inferred") ? " (bits inferred from the packed shape)" : "")
                            + (in > 0 ? "" : " (logical shape unknown: no bias and config.json gives no unique"
                            + " in_features; grouped view)");
                    out.add(new LogicalTensor(wn, shape, scale.dtype(), layout, List.of(packed, scale, shift),
                            (first, count, dst, off) -> {
                                int mask = (1 << bits) - 1;
                                for (int k = 0; k < count; k++) {
                                    long i = first + k; // row-major [out, in] == row-major grouped [R, gs]
                                    long r = i / gs;
                                    long c = i - r * gs;
                                    int b = packed.data().get(Layouts.BYTE, (r % rowsPacked) * gs + c) & 0xFF;
                                    int q = (b >>> (bits * (int) (r / rowsPacked))) & mask;
                                    dst[off + k] = q * s[(int) r] - sh[(int) r];
                                }
                            }));
                    used.addAll(List.of(packed.name(), scale.name(), shift.name()));
                }
                default -> throw new UnsupportedOperationException(wn + ": quanto weight type '" + qtype + "' (from "
                        + source + ") is not supported; known: qint8, qfloat8, qfloat8_e4m3fn, qfloat8_e5m2, qint4,"
                        + " qint2");
            }
        }
        used.forEach(remaining::remove);
        return out;
    }

    /** transformers' {@code weights} / diffusers' {@code weights_dtype} names to quanto qtype names. */
    static String qtypeOf(String configName) {
        return switch (configName) {
            case "int8" -> "qint8";
            case "int4" -> "qint4";
            case "int2" -> "qint2";
            case "float8", "float8_e4m3fn" -> "qfloat8_e4m3fn";
            case "float8_e5m2" -> "qfloat8_e5m2";
            default -> configName;
        };
    }

    /** quanto's group size for a Linear with {@code in} inputs; {@code in} itself means no grouping (per row). */
    static long groupSize(long in) {
        if (in <= 128) {
            return in;
        }
        long gs = 128;
        while (in % gs != 0 && gs > 32) {
            gs -= 32;
        }
        return in % gs == 0 ? gs : in;
    }

    private static boolean fits(long in, long total, long gs) {
        return in > 0 && total % in == 0 && groupSize(in) == gs;
    }

    /** The module's in_features (see the class comment), or 0 when it cannot be told. */
    @SuppressWarnings("unchecked")
    static long inFeatures(String module, long total, long gs, TensorView bias, Map<String, Object> config) {
        if (bias != null && bias.rank() == 1 && bias.shape()[0] > 0 && total % bias.shape()[0] == 0
                && fits(total / bias.shape()[0], total, gs)) {
            return total / bias.shape()[0];
        }
        Map<String, Object> c = config.get("text_config") instanceof Map<?, ?> t && !config.containsKey("hidden_size")
                ? (Map<String, Object>) t : config;
        long hidden = num(c.get("hidden_size"));
        long heads = num(c.get("num_attention_heads"));
        long headDim = num(c.get("head_dim")) > 0 ? num(c.get("head_dim")) : heads > 0 ? hidden / heads : 0;
        String last = module.substring(module.lastIndexOf('.') + 1);
        long hint = switch (last) {
            case "q_proj", "k_proj", "v_proj", "gate_proj", "up_proj", "lm_head", "fc1", "w1", "w3" -> hidden;
            case "o_proj" -> heads * headDim;
            case "down_proj", "fc2", "w2" -> num(c.get("intermediate_size"));
            default -> 0;
        };
        if (fits(hint, total, gs)) {
            return hint;
        }
        Set<Long> candidates = new LinkedHashSet<>();
        collect(config, candidates, 0);
        candidates.removeIf(v -> !fits(v, total, gs));
        return candidates.size() == 1 ? candidates.iterator().next() : 0;
    }

    private static long num(Object o) {
        return o instanceof Number n && n.longValue() > 0 ? n.longValue() : 0;
    }

    @SuppressWarnings("unchecked")
    private static void collect(Object node, Set<Long> out, int depth) {
        if (node instanceof Map<?, ?> m && depth < 3) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!"quantization_config".equals(e.getKey())) {
                    collect(e.getValue(), out, depth + 1);
                }
            }
        } else if (node instanceof Number n && !(node instanceof Double) && !(node instanceof Float)
                && n.longValue() > 1) {
            out.add(n.longValue());
        }
    }

}
