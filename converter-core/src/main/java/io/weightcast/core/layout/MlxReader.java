package io.weightcast.core.layout;

import io.weightcast.core.codec.Layouts;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.Shapes;
import io.weightcast.formats.tensor.TensorView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * MLX affine (mlx-lm) and transformers' "metal" layout, read only (hf-formats.md §7): {@code X.weight} U32
 * {@code [..., out, in*bits/32]} + {@code X.scales} + {@code X.biases} (metal: {@code X.qbiases}), both
 * {@code [..., out, in/gs]}; {@code w = q * scale + bias}, q from a dense LSB-first bitstream along the row.
 *
 * <p>Bits and group size: the module's own entry in config {@code quantization} ({@code "<path>": {"group_size",
 * "bits"}}) first, then the global {@code group_size}/{@code bits}. The shapes fix only {@code bits * group_size}
 * per packed word and group, so a config that disagrees with them is corrected from the shapes (keeping the
 * config's group size if a valid bit width results, else its bits: published configs get the bits wrong, e.g. a
 * per-layer entry claiming 8-bit for a 4-bit tensor) and the layout text says so.
 */
final class MlxReader implements LayoutReader {

    @Override
    @SuppressWarnings("unchecked")
    public List<LogicalTensor> claim(Map<String, TensorView> remaining, Map<String, Object> config, ReadContext ctx) {
        Object mode = config.get("mode");
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
            if (mode != null && !"affine".equals(mode)) {
                throw new UnsupportedOperationException(w.name() + ": MLX quantization mode '" + mode
                        + "' is not supported (only affine)");
            }
            if (!java.util.Arrays.equals(scales.shape(), biases.shape())) {
                throw new IllegalArgumentException(biases.name() + ": shape " + java.util.Arrays.toString(
                        biases.shape()) + " differs from " + scales.name() + " " + java.util.Arrays.toString(
                        scales.shape()));
            }
            long[] ws = w.shape();
            long[] ss = scales.shape();
            for (int d = 0; d < ws.length - 1; d++) {
                if (ws[d] != ss[d]) {
                    throw new IllegalArgumentException(scales.name() + ": leading dims " + java.util.Arrays.toString(
                            ss) + " do not match " + w.name() + " " + java.util.Arrays.toString(ws));
                }
            }
            long words = ws[ws.length - 1];
            long groups = ss[ss.length - 1];
            Map<String, Object> own = config.get(module) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            Integer cfgGs = intOf(own.getOrDefault("group_size", config.get("group_size")));
            Integer cfgBits = intOf(own.getOrDefault("bits", config.get("bits")));
            int[] gb = resolve(w.name(), words, groups, cfgGs, cfgBits);
            int gs = gb[0];
            int bits = gb[1];
            String note = cfgGs != null && cfgBits != null && (cfgGs != gs || cfgBits != bits)
                    ? " (config says group " + cfgGs + " " + cfgBits + "-bit; derived from the shapes)"
                    : cfgGs == null || cfgBits == null ? " (derived from the shapes)" : "";
            long cols = groups * gs;
            long[] shape = ws.clone();
            shape[shape.length - 1] = cols;
            long rows = Shapes.elementCount(ws) / words;
            float[] s = BnbReader.floats(scales);
            float[] b = BnbReader.floats(biases);
            out.add(new LogicalTensor(w.name(), shape, scales.dtype(), "mlx affine " + bits + "-bit group " + gs
                    + note, List.of(w, scales, biases), (first, count, dst, off) -> {
                        long mask = (1L << bits) - 1;
                        for (int k = 0; k < count; k++) {
                            long i = first + k;
                            long r = i / cols;
                            long c = i - r * cols;
                            long bit = c * bits;
                            long word = r * words + bit / 32;
                            long v = Integer.toUnsignedLong(w.data().getAtIndex(Layouts.LE_INT, word));
                            if (bit % 32 + bits > 32) {
                                v |= Integer.toUnsignedLong(w.data().getAtIndex(Layouts.LE_INT, word + 1)) << 32;
                            }
                            long q = (v >>> (bit % 32)) & mask;
                            int g = (int) (r * groups + c / gs);
                            dst[off + k] = q * s[g] + b[g];
                        }
                    }));
            assert rows * groups == s.length;
            used.addAll(List.of(w.name(), scales.name(), biases.name()));
        }
        used.forEach(remaining::remove);
        return out;
    }

    private static Integer intOf(Object o) {
        return o instanceof Number n ? n.intValue() : null;
    }

    private static final int[] GROUPS = {64, 32, 128, 16};
    private static final int[] BITS = {4, 8, 2, 3, 5, 6};

    /** Group size and bits: the config's if the shapes agree, else the nearest fit (see the class comment). */
    static int[] resolve(String name, long words, long groups, Integer gs, Integer bits) {
        if (groups <= 0 || words <= 0) {
            throw new IllegalArgumentException(name + ": empty MLX weight or scales");
        }
        long product = words * 32;
        if (gs != null && bits != null && product == groups * gs * bits) {
            return new int[] {gs, bits};
        }
        if (gs != null && product % (groups * gs) == 0 && contains(BITS, (int) (product / (groups * gs)))) {
            return new int[] {gs, (int) (product / (groups * gs))};
        }
        if (bits != null && product % (groups * bits) == 0 && contains(GROUPS, (int) (product / (groups * bits)))) {
            return new int[] {(int) (product / (groups * bits)), bits};
        }
        for (int g : GROUPS) {
            for (int bb : BITS) {
                if (product == groups * g * bb) {
                    return new int[] {g, bb};
                }
            }
        }
        throw new IllegalArgumentException(name + ": " + words + " uint32 words and " + groups
                + " groups per row fit no MLX group size (16/32/64/128) and bit width (2-8)");
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }
}
