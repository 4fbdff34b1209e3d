package io.weightcast.core.codec.scalar;

import static io.weightcast.core.codec.Layouts.BYTE;
import static io.weightcast.core.codec.Layouts.LE_INT;
import static io.weightcast.core.codec.Layouts.LE_SHORT;

import io.weightcast.core.codec.BlockCodec;
import io.weightcast.core.codec.Fp16;
import io.weightcast.formats.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * Read-only codecs for ggml's lattice types IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S and IQ1_M: decoding is
 * ggml's {@code dequantize_row_<type>} (grid lookups in {@link IqTables}, float operations in C's order:
 * {@code (db·grid)·(±1)}, {@code dl·(grid + delta)}); encoding throws {@link UnsupportedOperationException}
 * (ggml's quantizers for these types are neighbour searches over the grids that weightcast does not reproduce).
 */
public final class IqGridScalar extends BlockCodec {

    public static final int QK = 256;

    public IqGridScalar(DType type) {
        super(check(type), "scalar");
    }

    private static DType check(DType t) {
        return switch (t) {
            case IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M -> t;
            default -> throw new IllegalArgumentException(t + " is not an IQ grid type");
        };
    }

    /** Whether this class decodes the type. */
    public static boolean handles(DType t) {
        return switch (t) {
            case IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M -> true;
            default -> false;
        };
    }

    @Override
    protected void encodeBlocks(float[] src, int srcOffset, int blocks, MemorySegment dst, long dstOffset) {
        throw new UnsupportedOperationException("writing " + type() + " is not supported; weightcast reads "
                + type() + " (decode only): choose another type to write, e.g. IQ4_XS, Q4_K or Q4_0");
    }

    @Override
    protected void decodeBlocks(MemorySegment src, long srcOffset, int blocks, float[] dst, int dstOffset) {
        int bb = type().blockBytes();
        for (int i = 0; i < blocks; i++) {
            long p = srcOffset + (long) i * bb;
            int o = dstOffset + i * QK;
            switch (type()) {
                case IQ2_XXS -> iq2xxs(src, p, dst, o);
                case IQ2_XS -> iq2xs(src, p, dst, o);
                case IQ2_S -> iq2s(src, p, dst, o);
                case IQ3_XXS -> iq3xxs(src, p, dst, o);
                case IQ3_S -> iq3s(src, p, dst, o);
                case IQ1_S -> iq1s(src, p, dst, o);
                case IQ1_M -> iq1m(src, p, dst, o);
                default -> throw new AssertionError(type());
            }
        }
    }

    private static int u8(MemorySegment s, long p) {
        return s.get(BYTE, p) & 0xFF;
    }

    private static float sign(int signs, int j) {
        return (signs & (1 << j)) != 0 ? -1.f : 1.f;
    }

    /** {@code { half d; u16 qs[32]; }}. */
    static void iq2xxs(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        byte[] grid = IqTables.IQ2XXS;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            long q = p + 2 + 8 * ib32;
            int aux1 = x.get(LE_INT, q + 4);
            float db = d * (0.5f + (aux1 >>> 28)) * 0.25f;
            for (int l = 0; l < 4; ++l) {
                int g = u8(x, q + l) * 8;
                int signs = IqTables.KSIGNS[(aux1 >>> (7 * l)) & 127];
                for (int j = 0; j < 8; ++j) {
                    y[o++] = db * (grid[g + j] & 0xFF) * sign(signs, j);
                }
            }
        }
    }

    /** {@code { half d; u16 qs[32]; u8 scales[8]; }}. */
    static void iq2xs(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        byte[] grid = IqTables.IQ2XS;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            int sc = u8(x, p + 66 + ib32);
            float db0 = d * (0.5f + (sc & 0xf)) * 0.25f;
            float db1 = d * (0.5f + (sc >> 4)) * 0.25f;
            for (int l = 0; l < 4; ++l) {
                int qs = x.get(LE_SHORT, p + 2 + 2 * (4 * ib32 + l)) & 0xFFFF;
                int g = (qs & 511) * 8;
                int signs = IqTables.KSIGNS[qs >>> 9];
                float db = l / 2 == 0 ? db0 : db1;
                for (int j = 0; j < 8; ++j) {
                    y[o++] = db * (grid[g + j] & 0xFF) * sign(signs, j);
                }
            }
        }
    }

    /** {@code { half d; u8 qs[64]; u8 qh[8]; u8 scales[8]; }}, signs in {@code qs[32..63]}. */
    static void iq2s(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        byte[] grid = IqTables.IQ2S;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            int sc = u8(x, p + 74 + ib32);
            float db0 = d * (0.5f + (sc & 0xf)) * 0.25f;
            float db1 = d * (0.5f + (sc >> 4)) * 0.25f;
            int qh = u8(x, p + 66 + ib32);
            for (int l = 0; l < 4; ++l) {
                float dl = l / 2 == 0 ? db0 : db1;
                int g = (u8(x, p + 2 + 4 * ib32 + l) | ((qh << (8 - 2 * l)) & 0x300)) * 8;
                int signs = u8(x, p + 2 + 32 + 4 * ib32 + l);
                for (int j = 0; j < 8; ++j) {
                    y[o++] = dl * (grid[g + j] & 0xFF) * sign(signs, j);
                }
            }
        }
    }

    /** {@code { half d; u8 qs[96]; }}: 64 grid indices, then 8 u32 of scale and sign indices. */
    static void iq3xxs(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        byte[] grid = IqTables.IQ3XXS;
        for (int ib32 = 0; ib32 < 8; ++ib32) {
            int aux = x.get(LE_INT, p + 2 + 64 + 4 * ib32);
            float db = d * (0.5f + (aux >>> 28)) * 0.5f;
            long qs = p + 2 + 8 * ib32;
            for (int l = 0; l < 4; ++l) {
                int signs = IqTables.KSIGNS[(aux >>> (7 * l)) & 127];
                int g1 = u8(x, qs + 2 * l) * 4;
                int g2 = u8(x, qs + 2 * l + 1) * 4;
                for (int j = 0; j < 4; ++j) {
                    y[o + j] = db * (grid[g1 + j] & 0xFF) * sign(signs, j);
                    y[o + j + 4] = db * (grid[g2 + j] & 0xFF) * sign(signs, j + 4);
                }
                o += 8;
            }
        }
    }

    /** {@code { half d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4]; }}. */
    static void iq3s(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        byte[] grid = IqTables.IQ3S;
        long qs = p + 2;
        long qh = p + 66;
        long signs = p + 74;
        for (int ib32 = 0; ib32 < 8; ib32 += 2) {
            int sc = u8(x, p + 106 + ib32 / 2);
            float db1 = d * (1 + 2 * (sc & 0xf));
            float db2 = d * (1 + 2 * (sc >> 4));
            for (int half = 0; half < 2; half++) {
                float db = half == 0 ? db1 : db2;
                int h = u8(x, qh + half);
                for (int l = 0; l < 4; ++l) {
                    int g1 = (u8(x, qs + 2 * l) | ((h << (8 - 2 * l)) & 256)) * 4;
                    int g2 = (u8(x, qs + 2 * l + 1) | ((h << (7 - 2 * l)) & 256)) * 4;
                    int s = u8(x, signs + l);
                    for (int j = 0; j < 4; ++j) {
                        y[o + j] = db * (grid[g1 + j] & 0xFF) * sign(s, j);
                        y[o + j + 4] = db * (grid[g2 + j] & 0xFF) * sign(s, j + 4);
                    }
                    o += 8;
                }
                qs += 8;
                signs += 4;
            }
            qh += 2;
        }
    }

    /** {@code { half d; u8 qs[32]; u16 qh[8]; }}. */
    static void iq1s(MemorySegment x, long p, float[] y, int o) {
        float d = Fp16.toFloat(x.get(LE_SHORT, p));
        byte[] grid = IqTables.IQ1S;
        for (int ib = 0; ib < 8; ++ib) {
            int qh = x.get(LE_SHORT, p + 34 + 2 * ib) & 0xFFFF;
            float dl = d * (2 * ((qh >> 12) & 7) + 1);
            float delta = (qh & 0x8000) != 0 ? -IqTables.IQ1S_DELTA : IqTables.IQ1S_DELTA;
            for (int l = 0; l < 4; ++l) {
                int g = (u8(x, p + 2 + 4 * ib + l) | (((qh >> (3 * l)) & 7) << 8)) * 8;
                for (int j = 0; j < 8; ++j) {
                    y[o++] = dl * (grid[g + j] + delta);
                }
            }
        }
    }

    /** {@code { u8 qs[32]; u8 qh[16]; u8 scales[8]; }}: the fp16 scale is spread over the top nibbles of scales. */
    static void iq1m(MemorySegment x, long p, float[] y, int o) {
        int[] sc = new int[4];
        for (int k = 0; k < 4; k++) {
            sc[k] = x.get(LE_SHORT, p + 48 + 2 * k) & 0xFFFF;
        }
        int u16 = (sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) | ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000);
        float d = Fp16.toFloat((short) u16);
        byte[] grid = IqTables.IQ1S;
        long qs = p;
        long qh = p + 32;
        float[] delta = new float[4];
        int[] idx = new int[4];
        for (int ib = 0; ib < 8; ++ib) {
            float dl1 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2))) & 0x7) + 1);
            float dl2 = d * (2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 0x7) + 1);
            int h0 = u8(x, qh);
            int h1 = u8(x, qh + 1);
            idx[0] = u8(x, qs) | ((h0 << 8) & 0x700);
            idx[1] = u8(x, qs + 1) | ((h0 << 4) & 0x700);
            idx[2] = u8(x, qs + 2) | ((h1 << 8) & 0x700);
            idx[3] = u8(x, qs + 3) | ((h1 << 4) & 0x700);
            delta[0] = (h0 & 0x08) != 0 ? -IqTables.IQ1S_DELTA : IqTables.IQ1S_DELTA;
            delta[1] = (h0 & 0x80) != 0 ? -IqTables.IQ1S_DELTA : IqTables.IQ1S_DELTA;
            delta[2] = (h1 & 0x08) != 0 ? -IqTables.IQ1S_DELTA : IqTables.IQ1S_DELTA;
            delta[3] = (h1 & 0x80) != 0 ? -IqTables.IQ1S_DELTA : IqTables.IQ1S_DELTA;
            for (int l = 0; l < 4; ++l) {
                float dl = l < 2 ? dl1 : dl2;
                int g = idx[l] * 8;
                for (int j = 0; j < 8; ++j) {
                    y[o++] = dl * (grid[g + j] + delta[l]);
                }
            }
            qs += 4;
            qh += 2;
        }
    }
}
