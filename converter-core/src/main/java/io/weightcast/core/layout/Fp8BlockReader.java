package io.weightcast.core.layout;

import io.weightcast.core.codec.Fp8BlockQuantizer;
import io.weightcast.core.codec.cuda.HfDecode;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads fine-grained FP8 ({@code X.weight} F8_E4M3 + {@code X.weight_scale_inv}) and dequantizes tile-wise. */
final class Fp8BlockReader implements LayoutReader {

    @Override
    public List<LogicalTensor> claim(Map<String, TensorView> remaining, Map<String, Object> config,
            ReadContext ctx) {
        List<LogicalTensor> out = new ArrayList<>();
        int[] block = blockSize(config);
        List<String> used = new ArrayList<>();
        for (TensorView scale : List.copyOf(remaining.values())) {
            if (!scale.name().endsWith(".weight_scale_inv")) {
                continue;
            }
            String wName = scale.name().substring(0, scale.name().length() - "_scale_inv".length());
            TensorView w = remaining.get(wName);
            if (w == null || (w.dtype() != DType.F8_E4M3) || w.rank() < 2 || scale.rank() != w.rank()) {
                continue;
            }
            long[] shape = w.shape();
            long rows = shape[shape.length - 2];
            long cols = shape[shape.length - 1];
            long[] ss = scale.shape();
            int bm = block != null ? block[0] : (int) ceilDivExact(rows, ss[ss.length - 2]);
            int bn = block != null ? block[1] : (int) ceilDivExact(cols, ss[ss.length - 1]);
            if ((rows + bm - 1) / bm != ss[ss.length - 2] || (cols + bn - 1) / bn != ss[ss.length - 1]) {
                throw new IllegalArgumentException(scale.file() + ": '" + scale.name() + "' has shape "
                        + java.util.Arrays.toString(ss) + " but " + java.util.Arrays.toString(shape) + " in "
                        + bm + "x" + bn + " blocks needs " + (rows + bm - 1) / bm + "x" + (cols + bn - 1) / bn);
            }
            DType st = scale.dtype();
            out.add(new LogicalTensor(wName, shape, ctx.modelDtype(), "fp8 e4m3 block " + bm + "x" + bn,
                    List.of(w, scale), new DeviceDecoder((first, count, dst, off) -> Fp8BlockQuantizer.dequantize(
                            w.data(), rows, cols, bm, bn, scale.data(), st, first, count, dst, off),
                            () -> HfDecode.fp8Block(w.data(), scales(scale), rows, cols, bm, bn))));
            used.add(wName);
            used.add(scale.name());
        }
        used.forEach(remaining::remove);
        return out;
    }

    /** The inverse scales as f32, each as {@link Fp8BlockQuantizer#dequantize} reads it (for the GPU decoder). */
    private static float[] scales(TensorView scale) {
        float[] f = new float[Math.toIntExact(scale.elementCount())];
        for (int i = 0; i < f.length; i++) {
            f[i] = Fp8BlockQuantizer.scaleAt(scale.data(), scale.dtype(), i);
        }
        return f;
    }

    private static long ceilDivExact(long n, long parts) {
        // the block that gives `parts` ceil-sized tiles; for exact division simply n / parts
        return parts <= 0 ? n : (n + parts - 1) / parts;
    }

    @SuppressWarnings("unchecked")
    private static int[] blockSize(Map<String, Object> config) {
        Object b = config.get("weight_block_size");
        if (b instanceof List<?> l && l.size() == 2) {
            return new int[] {((Number) l.get(0)).intValue(), ((Number) l.get(1)).intValue()};
        }
        return null;
    }
}
