package io.weightcast.core.layout;

import io.weightcast.core.codec.Fp8;
import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Read-only layouts (hf-formats.md §6–7):
 * <ul>
 *   <li>MLX affine ({@code X.weight} U32 + {@code X.scales} + {@code X.biases}, or transformers' "metal"
 *       {@code X.qbiases}): {@code w = q * scale + bias}, q from a dense LSB-first bitstream along the row; bits and
 *       group size from the shapes, cross-checked with config {@code quantization};</li>
 *   <li>optimum-quanto: {@code X.weight._data} (I8 / F8) + {@code X.weight._scale} ({@code w = q * scale}), and
 *       4/2-bit {@code X.weight._data._data} U8 (planar packing along dim 0) + {@code _scale} + {@code _shift}
 *       ({@code w = q * scale - shift}).</li>
 * </ul>
 */
final class MlxQuantoReader implements LayoutReader {

    @Override
    public List<LogicalTensor> claim(Map<String, TensorView> remaining, Map<String, Object> config, ReadContext ctx) {
        List<LogicalTensor> out = new ArrayList<>();
        List<String> used = new ArrayList<>();
        for (TensorView scales : List.copyOf(remaining.values())) {
            if (!scales.name().endsWith(".scales")) {
                continue;
            }
            String module = scales.name().substring(0, scales.name().length() - ".scales".length());
            TensorView w = remaining.get(module + ".weight");
            TensorView biases = remaining.get(module + ".biases");
            if (biases == null) {
                biases = remaining.get(module + ".qbiases");
            }
            if (w == null || biases == null || w.dtype() != DType.U32 || scales.rank() != w.rank()) {
                continue;
            }
            long[] ws = w.shape();
            long[] ss = scales.shape();
            long rows = io.weightcast.formats.tensor.Shapes.elementCount(ws) / ws[ws.length - 1];
            long words = ws[ws.length - 1];
            long groups = ss[ss.length - 1];
            int gs = config.get("group_size") instanceof Number n ? n.intValue() : 64;
            int bits = config.get("bits") instanceof Number n ? n.intValue() : 4;
            if (words * 32 != groups * gs * bits) { // per-layer override or no config: derive from the shapes
                int[] found = derive(words, groups);
                gs = found[0];
                bits = found[1];
            }
            long cols = groups * gs;
            long[] shape = ws.clone();
            shape[shape.length - 1] = cols;
            float[] s = BnbReader.floats(scales);
            float[] b = BnbReader.floats(biases);
            int fb = bits;
            int fgs = gs;
            out.add(new LogicalTensor(w.name(), shape, scales.dtype(), "mlx affine " + bits + "-bit group " + gs,
                    List.of(w, scales, biases), (first, count, dst, off) -> {
                        long mask = (1L << fb) - 1;
                        for (int k = 0; k < count; k++) {
                            long i = first + k;
                            long r = i / cols;
                            long c = i - r * cols;
                            long bit = c * fb;
                            long word = r * words + bit / 32;
                            long v = Integer.toUnsignedLong(w.data().getAtIndex(Layouts.LE_INT, word));
                            if (bit % 32 + fb > 32) {
                                v |= Integer.toUnsignedLong(w.data().getAtIndex(Layouts.LE_INT, word + 1)) << 32;
                            }
                            long q = (v >>> (bit % 32)) & mask;
                            int g = (int) (r * groups + c / fgs);
                            dst[off + k] = q * s[g] + b[g];
                        }
                    }));
            used.addAll(List.of(w.name(), scales.name(), biases.name()));
        }
        used.forEach(remaining::remove);
        used.clear();
        for (TensorView scale : List.copyOf(remaining.values())) {
            if (!scale.name().endsWith(".weight._scale")) {
                continue;
            }
            String wn = scale.name().substring(0, scale.name().length() - "._scale".length());
            TensorView data8 = remaining.get(wn + "._data");
            TensorView packed = remaining.get(wn + "._data._data");
            TensorView shift = remaining.get(wn + "._shift");
            float[] s = BnbReader.floats(scale);
            if (data8 != null && data8.rank() == 2) {
                DType dt = data8.dtype();
                long cols = data8.shape()[1];
                out.add(new LogicalTensor(wn, data8.shape(), scale.dtype(), "quanto " + (dt == DType.I8 ? "qint8"
                        : "qfloat8") + " per row", List.of(data8, scale), (first, count, dst, off) -> {
                            for (int k = 0; k < count; k++) {
                                long i = first + k;
                                byte q = data8.data().get(Layouts.BYTE, i);
                                float v = dt == DType.I8 ? q : dt == DType.F8_E5M2 ? Fp8.e5m2ToFloat(q)
                                        : Fp8.e4m3ToFloat(q);
                                dst[off + k] = v * s[s.length == 1 ? 0 : (int) (i / cols)];
                            }
                        }));
                used.addAll(List.of(data8.name(), scale.name()));
            } else if (packed != null && shift != null && packed.rank() == 2) {
                long rowsPacked = packed.shape()[0];
                long gs = packed.shape()[1];
                long groupsR = scale.elementCount();
                int bits = (int) (8 / Math.max(1, (groupsR + rowsPacked - 1) / rowsPacked));
                float[] sh = BnbReader.floats(shift);
                TensorView bias = remaining.get(wn.substring(0, wn.length() - ".weight".length()) + ".bias");
                long total = groupsR * gs;
                long[] shape = bias != null && bias.rank() == 1 && total % bias.shape()[0] == 0
                        ? new long[] {bias.shape()[0], total / bias.shape()[0]} : new long[] {groupsR, gs};
                int fb = bits;
                out.add(new LogicalTensor(wn, shape, scale.dtype(), "quanto qint" + bits + " group " + gs,
                        List.of(packed, scale, shift), (first, count, dst, off) -> {
                            int mask = (1 << fb) - 1;
                            for (int k = 0; k < count; k++) {
                                long i = first + k;
                                long r = i / gs;
                                long c = i - r * gs;
                                int byteV = packed.data().get(Layouts.BYTE, (r % rowsPacked) * gs + c) & 0xFF;
                                int q = (byteV >>> (fb * (int) (r / rowsPacked))) & mask;
                                dst[off + k] = q * s[(int) r] - sh[(int) r];
                            }
                        }));
                used.addAll(List.of(packed.name(), scale.name(), shift.name()));
            }
        }
        used.forEach(remaining::remove);
        return out;
    }

    /** MLX group size and bits from the packed width and the number of groups per row. */
    private static int[] derive(long words, long groups) {
        for (int gs : new int[] {64, 32, 128, 16}) {
            for (int bits : new int[] {4, 8, 2, 3, 5, 6}) {
                if (words * 32 == groups * gs * bits) {
                    return new int[] {gs, bits};
                }
            }
        }
        throw new IllegalArgumentException("MLX weight: " + words + " uint32 words and " + groups
                + " groups per row fit no group size (32/64/128) and bit width (2-8)");
    }
}
