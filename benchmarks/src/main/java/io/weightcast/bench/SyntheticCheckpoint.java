package io.weightcast.bench;

import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a multi-GB synthetic Flux-shaped checkpoint (BF16 or F16) to safetensors without holding it in memory: one
 * 4 MiB buffer is refilled and streamed through {@link SafetensorsWriter}, so it runs in a small heap. Tensor names
 * follow BFL's Flux layout ({@code double_blocks.N.img_attn.qkv.weight}, …) so that {@code convert} detects it as
 * {@code flux}; values are a cheap deterministic pseudo-random uniform in [-0.1, 0.1).
 *
 * <p>Usage: {@code SyntheticCheckpoint OUT.safetensors [--gib 4] [--dtype bf16|f16] [--hidden 3072]}
 */
public final class SyntheticCheckpoint {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BUFFER_ELEMENTS = 2 << 20;

    private SyntheticCheckpoint() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: SyntheticCheckpoint OUT.safetensors [--gib 4] [--dtype bf16|f16] [--hidden 3072]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        double gib = 4;
        DType dtype = DType.BF16;
        long hidden = 3072;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--gib" -> gib = Double.parseDouble(args[i + 1]);
                case "--dtype" -> dtype = DType.valueOf(args[i + 1].toUpperCase(Locale.ROOT));
                case "--hidden" -> hidden = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        List<TensorSpec> specs = specs((long) (gib * (1L << 30)), hidden, dtype);
        long total = specs.stream().mapToLong(TensorSpec::byteSize).sum();
        long start = System.nanoTime();
        try (Arena arena = Arena.ofConfined();
             SafetensorsWriter w = SafetensorsWriter.create(out, specs, Map.of("format", "pt"))) {
            MemorySegment buf = arena.allocate(2L * BUFFER_ELEMENTS, 64);
            long state = 0x9E3779B97F4A7C15L;
            for (TensorSpec s : specs) {
                long left = s.elementCount();
                while (left > 0) {
                    int n = (int) Math.min(left, BUFFER_ELEMENTS);
                    for (int i = 0; i < n; i++) {
                        state ^= state << 13;
                        state ^= state >>> 7;
                        state ^= state << 17;
                        float v = ((state >>> 40) * 0x1p-24f - 0.5f) * 0.2f;
                        short bits = dtype == DType.BF16 ? (short) (Float.floatToRawIntBits(v) >>> 16)
                                : Float.floatToFloat16(v);
                        buf.setAtIndex(U16, i, bits);
                    }
                    w.write(buf.asSlice(0, 2L * n));
                    left -= n;
                }
            }
            w.commit();
        }
        System.out.printf(Locale.ROOT, "wrote %s: %d tensors, %.2f GiB of %s in %.1f s%n", out, specs.size(),
                total / (double) (1L << 30), dtype, (System.nanoTime() - start) / 1e9);
    }

    /** Flux double/single blocks of width {@code hidden} until {@code targetBytes} are reached. */
    static List<TensorSpec> specs(long targetBytes, long h, DType dtype) {
        List<TensorSpec> specs = new ArrayList<>();
        long[] bytes = {0};
        java.util.function.BiConsumer<String, long[]> add = (name, shape) -> {
            TensorSpec s = new TensorSpec(name, shape, dtype);
            specs.add(s);
            bytes[0] += s.byteSize();
        };
        add.accept("img_in.weight", new long[] {h, 64});
        add.accept("img_in.bias", new long[] {h});
        add.accept("txt_in.weight", new long[] {h, 4096});
        add.accept("time_in.in_layer.weight", new long[] {h, 256});
        for (int i = 0; bytes[0] < targetBytes; i++) {
            String b = "double_blocks." + i + ".";
            add.accept(b + "img_attn.qkv.weight", new long[] {3 * h, h});
            add.accept(b + "img_attn.qkv.bias", new long[] {3 * h});
            add.accept(b + "img_attn.norm.query_norm.scale", new long[] {128});
            add.accept(b + "img_attn.proj.weight", new long[] {h, h});
            add.accept(b + "img_mlp.0.weight", new long[] {4 * h, h});
            add.accept(b + "img_mlp.2.weight", new long[] {h, 4 * h});
            add.accept(b + "img_mod.lin.weight", new long[] {6 * h, h});
        }
        add.accept("final_layer.linear.weight", new long[] {64, h});
        return specs;
    }
}
