package io.weightcast.core.conformance;

import io.weightcast.formats.tensor.DType;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded generators of hard input rows for the codec-vs-ggml property tests. Each fills {@code len} floats (whole
 * blocks of the type) at {@code off}. "Ties" are built per type so that the quantizer's rounding input lands exactly
 * on .5 (scales chosen as powers of two so ggml's divisions are exact).
 */
final class RowGenerators {

    private RowGenerators() {}

    interface Gen {
        void fill(SplittableRandom r, DType t, float[] x, int off, int len);
    }

    record Named(String name, Gen gen) {}

    static final List<Named> ALL = List.of(
            new Named("gaussian 1e-6", gauss(1e-6)), new Named("gaussian 1e-3", gauss(1e-3)),
            new Named("gaussian 0.02", gauss(0.02)), new Named("gaussian 1", gauss(1)),
            new Named("gaussian 100", gauss(100)), new Named("gaussian 1e4", gauss(1e4)),
            new Named("student-t3", RowGenerators::studentT),
            new Named("zeros", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = 0f;
                }
            }),
            new Named("constant", RowGenerators::constant),
            new Named("signed zeros", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = r.nextBoolean() ? 0f : -0f;
                }
            }),
            new Named("zeros with one value", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = r.nextBoolean() ? 0f : -0f;
                }
                x[off + r.nextInt(len)] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-8, 6)));
            }),
            new Named("ties", RowGenerators::ties),
            new Named("tiny 1e-30", gauss(1e-30)),
            new Named("float subnormals", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = Float.intBitsToFloat(r.nextInt(1, 0x00800000) | (r.nextBoolean() ? 0x80000000 : 0));
                }
            }),
            new Named("tiny blocks 1e-45..1e-36", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-45, -35)));
                }
            }),
            new Named("fp16 subnormal range", gauss(3e-6)),
            new Named("huge ±65504", (r, t, x, off, len) -> {
                float[] v = {65504f, -65504f, 65519.996f, 65520f, -65520f, 70000f, 1e5f, -3.0e5f, 1e10f, -1e10f};
                for (int i = 0; i < len; i++) {
                    x[off + i] = r.nextInt(4) == 0 ? v[r.nextInt(v.length)] : (float) (r.nextGaussian() * 60000);
                }
            }),
            new Named("huge up to 1e38", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5, 38)));
                }
            }),
            new Named("single outlier", (r, t, x, off, len) -> {
                gauss(1).fill(r, t, x, off, len);
                float[] o = {1000f, -1000f, 65504f, -65504f, 1e6f, -1e8f, 50f};
                x[off + r.nextInt(len)] = o[r.nextInt(o.length)];
            }),
            new Named("outlier per block", (r, t, x, off, len) -> {
                gauss(0.02).fill(r, t, x, off, len);
                for (int b = 0; b < len; b += 32) {
                    x[off + b + r.nextInt(Math.min(32, len - b))] *= 1000;
                }
            }),
            new Named("first max wins (±amax)", (r, t, x, off, len) -> {
                gauss(1).fill(r, t, x, off, len);
                for (int b = 0; b < len; b += 32) {
                    float a = (float) (3 + r.nextDouble());
                    int i = r.nextInt(Math.min(32, len - b)), j = r.nextInt(Math.min(32, len - b));
                    x[off + b + i] = a;
                    x[off + b + j] = -a;
                }
            }),
            new Named("random finite bits", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    float f;
                    do {
                        f = Float.intBitsToFloat(r.nextInt());
                    } while (!Float.isFinite(f));
                    x[off + i] = f;
                }
            }),
            new Named("uniform [-1,1]", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = (float) (r.nextDouble() * 2 - 1);
                }
            }),
            new Named("positive only", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = (float) Math.abs(r.nextGaussian());
                }
            }),
            new Named("negative only", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = (float) -Math.abs(r.nextGaussian());
                }
            }),
            new Named("small integers", (r, t, x, off, len) -> {
                for (int i = 0; i < len; i++) {
                    x[off + i] = r.nextInt(-20, 21);
                }
            }),
            new Named("mixed blocks", RowGenerators::mixed));

    static Gen gauss(double sigma) {
        return (r, t, x, off, len) -> {
            for (int i = 0; i < len; i++) {
                x[off + i] = (float) (r.nextGaussian() * sigma);
            }
        };
    }

    static void studentT(SplittableRandom r, DType t, float[] x, int off, int len) {
        double scale = Math.pow(10, r.nextInt(-3, 3));
        for (int i = 0; i < len; i++) {
            double z = r.nextGaussian();
            double chi2 = 0;
            for (int k = 0; k < 3; k++) {
                double g = r.nextGaussian();
                chi2 += g * g;
            }
            x[off + i] = (float) (scale * z / Math.sqrt(chi2 / 3));
        }
    }

    static void constant(SplittableRandom r, DType t, float[] x, int off, int len) {
        float[] cs = {1f, -1f, 0.5f, -0.5f, -60000f, 60000f, 3.3e-5f, 65504f, 1e-30f, -7f, 0.1f};
        float c = r.nextInt(4) == 0 ? (float) r.nextGaussian() : cs[r.nextInt(cs.length)];
        for (int i = 0; i < len; i++) {
            x[off + i] = c;
        }
    }

    /** Each 32-element block (or element) drawn from a random other generator. */
    static void mixed(SplittableRandom r, DType t, float[] x, int off, int len) {
        int step = Math.min(32, len);
        for (int b = 0; b < len; b += step) {
            Named g;
            do {
                g = ALL.get(r.nextInt(ALL.size()));
            } while (g.name().equals("mixed blocks"));
            g.gen().fill(r, t, x, off + b, Math.min(step, len - b));
        }
    }

    /** Values whose scaled form is exactly k + 0.5 (block types) or exactly halfway between two halves/bf16s. */
    static void ties(SplittableRandom r, DType t, float[] x, int off, int len) {
        switch (t) {
            case F16 -> {
                for (int i = 0; i < len; i++) {
                    // a random finite half (normal or subnormal) and the midpoint to its successor
                    int h = r.nextInt(0, 0x7BFF);
                    float lo = Float.float16ToFloat((short) h), hi = Float.float16ToFloat((short) (h + 1));
                    float mid = lo + (hi - lo) / 2; // exact: one more bit than a half has
                    x[off + i] = r.nextBoolean() ? mid : -mid;
                }
            }
            case BF16 -> {
                for (int i = 0; i < len; i++) {
                    int hi;
                    do {
                        hi = r.nextInt(0x10000);
                    } while ((hi & 0x7F80) == 0x7F80); // keep finite
                    x[off + i] = Float.intBitsToFloat((hi << 16) | 0x8000);
                }
            }
            default -> {
                for (int b = 0; b < len; b += 32) {
                    tieBlock(r, t, x, off + b);
                }
            }
        }
    }

    private static void tieBlock(SplittableRandom r, DType t, float[] x, int o) {
        float s = (float) Math.scalb(1.0, r.nextInt(-12, 12)); // the exact scale d
        switch (t) {
            case Q8_0 -> { // d = amax / 127, q = roundf(x / d)
                for (int i = 0; i < 32; i++) {
                    x[o + i] = (r.nextInt(-127, 127) + 0.5f) * s;
                }
                x[o + r.nextInt(32)] = (r.nextBoolean() ? 127 : -127) * s;
            }
            case Q4_0, Q5_0 -> { // d = max / -8 (-16): x / d + 8.5 (16.5) truncated
                int half = t == DType.Q4_0 ? 8 : 16;
                for (int i = 0; i < 32; i++) {
                    x[o + i] = (r.nextInt(-half, half) + 0.5f) * s;
                }
                float max = (r.nextBoolean() ? half : -half) * s;
                x[o + r.nextInt(32)] = max;
            }
            case Q4_1, Q5_1 -> { // d = (max - min) / 15 (31): (x - min) / d + 0.5 truncated
                int levels = t == DType.Q4_1 ? 15 : 31;
                float min = -r.nextInt(0, levels + 1) * s;
                for (int i = 0; i < 32; i++) {
                    x[o + i] = min + (r.nextInt(0, levels) + 0.5f) * s;
                }
                int a = r.nextInt(32), b = (a + 1 + r.nextInt(31)) % 32;
                x[o + a] = min;
                x[o + b] = min + levels * s;
            }
            case Q6_K, Q3_K, IQ4_NL, IQ4_XS -> { // k/IQ4 searches: half-integer multiples of a power of two
                for (int i = 0; i < 32; i++) {
                    x[o + i] = (r.nextInt(-32, 32) + 0.5f) * s;
                }
                x[o + r.nextInt(32)] = (r.nextBoolean() ? 32 : -32) * s;
            }
            default -> throw new IllegalArgumentException(t.toString());
        }
    }
}
