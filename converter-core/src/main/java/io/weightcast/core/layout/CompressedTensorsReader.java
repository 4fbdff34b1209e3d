package io.weightcast.core.layout;

import io.weightcast.core.codec.CompressedTensorsMath;
import io.weightcast.core.codec.Fp8;
import io.weightcast.core.codec.Layouts;
import io.weightcast.core.codec.X86Float;
import io.weightcast.core.codec.cuda.HfDecode;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads compressed-tensors weights: {@code weight_packed} (+ {@code weight_scale}, {@code weight_shape}) and
 * {@code weight} (int8 or FP8) + {@code weight_scale} (+ {@code weight_zero_point}); tensor, channel and group
 * scales are told apart by the scale's shape. Also reads the same {@code weight} + {@code weight_scale} pair
 * without a config (FP8 "scaled" checkpoints).
 */
final class CompressedTensorsReader implements LayoutReader {

    @Override
    public List<LogicalTensor> claim(Map<String, TensorView> remaining, Map<String, Object> config, ReadContext ctx)
            throws IOException {
        boolean ct = "compressed-tensors".equals(config.get("quant_method"));
        List<LogicalTensor> out = new ArrayList<>();
        List<String> used = new ArrayList<>();
        for (TensorView scale : List.copyOf(remaining.values())) {
            if (!scale.name().endsWith(".weight_scale")) {
                continue;
            }
            String module = scale.name().substring(0, scale.name().length() - ".weight_scale".length());
            TensorView packed = remaining.get(module + ".weight_packed");
            TensorView plain = remaining.get(module + ".weight");
            TensorView zp = remaining.get(module + ".weight_zero_point");
            float[] s = BnbReader.floats(scale);
            if (packed != null) {
                TensorView shapeT = remaining.get(module + ".weight_shape");
                if (shapeT == null) {
                    throw new MalformedFileException(packed.file(), packed.fileOffset(), "'" + packed.name()
                            + "' has no '" + module + ".weight_shape'");
                }
                long rows = intAt(shapeT, 0);
                long cols = intAt(shapeT, 1);
                long words = packed.shape()[1];
                int bits = (int) (words * 32 / cols);
                if (bits != 4 && bits != 8 || (cols * bits + 31) / 32 != words) {
                    throw new MalformedFileException(packed.file(), packed.fileOffset(), "'" + packed.name()
                            + "': " + words + " int32 words per row do not hold " + cols + " 4- or 8-bit values");
                }
                int per = 32 / bits;
                long groups = scale.elementCount() / Math.max(1, rows);
                long gs = scale.elementCount() == 1 ? cols : cols / Math.max(1, groups);
                out.add(new LogicalTensor(module + ".weight", new long[] {rows, cols}, scale.dtype(),
                        "compressed-tensors pack-quantized int" + bits + " " + granularity(scale, rows, cols, gs),
                        List.of(packed, scale, shapeT), new DeviceDecoder((first, count, dst, off) -> {
                            for (int k = 0; k < count; k++) {
                                long i = first + k;
                                long r = i / cols;
                                long c = i - r * cols;
                                int word = packed.data().getAtIndex(Layouts.LE_INT, r * words + c / per);
                                float sc = s.length == 1 ? s[0] : s[(int) (r * groups + c / gs)];
                                dst[off + k] = CompressedTensorsMath.unpack(word, (int) (c % per), bits) * sc;
                            }
                        }, () -> HfDecode.ctPacked(packed.data(), s, cols, words, bits, groups, gs))));
                used.addAll(List.of(packed.name(), scale.name(), shapeT.name()));
            } else if (plain != null && (plain.dtype() == DType.I8 || plain.dtype() == DType.F8_E4M3)
                    && plain.rank() == 2 && (ct || plain.dtype() == DType.F8_E4M3)) {
                long rows = plain.shape()[0];
                long cols = plain.shape()[1];
                long groups = scale.elementCount() / Math.max(1, rows);
                long gs = scale.elementCount() == 1 ? cols : cols / Math.max(1, groups);
                float[] z = zp == null ? null : BnbReader.floats(zp);
                boolean fp8 = plain.dtype() == DType.F8_E4M3;
                List<TensorView> parts = new ArrayList<>(List.of(plain, scale));
                if (zp != null) {
                    parts.add(zp);
                    used.add(zp.name());
                }
                out.add(new LogicalTensor(plain.name(), plain.shape(), scale.dtype(), (ct ? "compressed-tensors "
                        + (fp8 ? "float-quantized fp8 " : "naive-quantized int8 ") : "fp8 scaled ")
                        + granularity(scale, rows, cols, gs), parts, new DeviceDecoder((first, count, dst, off) -> {
                            for (int k = 0; k < count; k++) {
                                long i = first + k;
                                long r = i / cols;
                                int si = s.length == 1 ? 0 : (int) (r * groups + (i - r * cols) / gs);
                                byte b = plain.data().get(Layouts.BYTE, i);
                                float q = fp8 ? Fp8.e4m3ToFloat(b) : b;
                                dst[off + k] = X86Float.mul(q - (z == null ? 0 : z[z.length == 1 ? 0 : si]), s[si]);
                            }
                        }, () -> HfDecode.ctPlain(plain.data(), fp8, s, z, cols, groups, gs))));
                used.addAll(List.of(plain.name(), scale.name()));
            }
        }
        used.forEach(remaining::remove);
        return out;
    }

    private static String granularity(TensorView scale, long rows, long cols, long gs) {
        return scale.elementCount() == 1 ? "per tensor" : gs == cols ? "per channel" : "group " + gs;
    }

    private static long intAt(TensorView t, int i) {
        return t.dtype() == DType.I64 ? t.data().getAtIndex(
                java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), i)
                : t.data().getAtIndex(Layouts.LE_INT, i);
    }
}
