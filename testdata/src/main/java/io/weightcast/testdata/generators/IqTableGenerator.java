package io.weightcast.testdata.generators;

import io.weightcast.testdata.peer.GgmlPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Derives ggml's IQ grid codebooks as data, by dequantizing crafted blocks with the peer's {@code to_float}
 * (llama.cpp 0ad4a86 libggml-base.so): each block sets the scale so that {@code to_float} returns the grid values
 * exactly (scale factors that are powers of two, no signs), and addresses every grid entry once. No ggml source is
 * transcribed. Output (raw bytes, grid entry by entry, values in element order):
 *
 * <ul>
 *   <li>{@code iq2xxs_grid.bin} 256×8, {@code iq2xs_grid.bin} 512×8, {@code iq2s_grid.bin} 1024×8 (unsigned);
 *   <li>{@code iq3xxs_grid.bin} 256×4, {@code iq3s_grid.bin} 512×4 (unsigned);
 *   <li>{@code iq1s_grid.bin} 2048×8 (signed −1/0/1; IQ1_S and IQ1_M share it);
 *   <li>{@code ksigns_iq2xs.bin} 128: bit j set where sign index s makes element j negative.
 * </ul>
 *
 * <p>Run: {@code java … IqTableGenerator <output dir>} (needs the peer, see {@link GgmlPeer}); the codec tests
 * compare the committed files with {@link #generate} when the peer is present.
 */
public final class IqTableGenerator {

    private IqTableGenerator() {}

    static final int IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ3_S = 21, IQ2_S = 22;
    static final short ONE = 0x3C00; // fp16 1.0

    public static Map<String, byte[]> generate(GgmlPeer peer) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put("iq2xxs_grid.bin", iq2xxs(peer));
        out.put("iq2xs_grid.bin", iq2xs(peer));
        out.put("iq2s_grid.bin", iq2s(peer));
        out.put("iq3xxs_grid.bin", iq3xxs(peer));
        out.put("iq3s_grid.bin", iq3s(peer));
        out.put("iq1s_grid.bin", iq1s(peer));
        out.put("ksigns_iq2xs.bin", ksigns(peer));
        return out;
    }

    /** Values of {@code y[i] / scale}, which must be exact small integers. */
    private static byte[] exact(float[] y, float scale, boolean signed) {
        byte[] b = new byte[y.length];
        for (int i = 0; i < y.length; i++) {
            float v = y[i] / scale;
            int r = Math.round(v);
            if (v != r || (!signed && (r < 0 || r > 255)) || (signed && (r < -128 || r > 127))) {
                throw new IllegalStateException("value " + y[i] + " at " + i + " is not an exact grid value");
            }
            b[i] = (byte) r;
        }
        return b;
    }

    private static void le16(byte[] b, int p, int v) {
        b[p] = (byte) v;
        b[p + 1] = (byte) (v >>> 8);
    }

    private static void le32(byte[] b, int p, int v) {
        le16(b, p, v);
        le16(b, p + 2, v >>> 16);
    }

    /** {@code { half d; u16 qs[32] }}: per 32 elements 4 index bytes then a u32 of signs (0) and scale 0: db = 1/8. */
    static byte[] iq2xxs(GgmlPeer peer) {
        int blocks = 256 / 32;
        byte[] q = new byte[blocks * 66];
        for (int b = 0; b < blocks; b++) {
            le16(q, b * 66, ONE);
            for (int k = 0; k < 32; k++) {
                q[b * 66 + 2 + 8 * (k / 4) + k % 4] = (byte) (b * 32 + k);
            }
        }
        return exact(peer.dequantize(IQ2_XXS, q, blocks * 256), 0.125f, false);
    }

    /** {@code { half d; u16 qs[32]; u8 scales[8] }}: qs = 9-bit index, sign index 0, scales 0: db = 1/8. */
    static byte[] iq2xs(GgmlPeer peer) {
        int blocks = 512 / 32;
        byte[] q = new byte[blocks * 74];
        for (int b = 0; b < blocks; b++) {
            le16(q, b * 74, ONE);
            for (int k = 0; k < 32; k++) {
                le16(q, b * 74 + 2 + 2 * k, b * 32 + k);
            }
        }
        return exact(peer.dequantize(IQ2_XS, q, blocks * 256), 0.125f, false);
    }

    /** {@code { half d; u8 qs[64]; u8 qh[8]; u8 scales[8] }}: index bits 8-9 of entry l in qh bits 2l, 2l+1. */
    static byte[] iq2s(GgmlPeer peer) {
        int blocks = 1024 / 32;
        byte[] q = new byte[blocks * 82];
        for (int b = 0; b < blocks; b++) {
            le16(q, b * 82, ONE);
            for (int k = 0; k < 32; k++) {
                int idx = b * 32 + k;
                int ib32 = k / 4, l = k % 4;
                q[b * 82 + 2 + k] = (byte) idx;
                q[b * 82 + 66 + ib32] |= (byte) (((idx >> 8) & 3) << (2 * l));
            }
        }
        return exact(peer.dequantize(IQ2_S, q, blocks * 256), 0.125f, false);
    }

    /** {@code { half d; u8 qs[96] }}: 64 index bytes, then u32 scale/sign words of 0: db = 1/4. */
    static byte[] iq3xxs(GgmlPeer peer) {
        int blocks = 256 / 64;
        byte[] q = new byte[blocks * 98];
        for (int b = 0; b < blocks; b++) {
            le16(q, b * 98, ONE);
            for (int k = 0; k < 64; k++) {
                q[b * 98 + 2 + k] = (byte) (b * 64 + k);
            }
        }
        return exact(peer.dequantize(IQ3_XXS, q, blocks * 256), 0.25f, false);
    }

    /**
     * {@code { half d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4] }}: index k of each 32 elements takes its
     * bit 8 from bit k of that group's qh byte; scales 0 give db = d = 1.
     */
    static byte[] iq3s(GgmlPeer peer) {
        int blocks = 512 / 64;
        byte[] q = new byte[blocks * 110];
        for (int b = 0; b < blocks; b++) {
            le16(q, b * 110, ONE);
            for (int k = 0; k < 64; k++) {
                int idx = b * 64 + k;
                q[b * 110 + 2 + k] = (byte) idx;
                q[b * 110 + 66 + k / 8] |= (byte) (((idx >> 8) & 1) << (k % 8));
            }
        }
        return exact(peer.dequantize(IQ3_S, q, blocks * 256), 1.0f, false);
    }

    /** {@code { half d; u8 qs[32]; u16 qh[8] }}: index bits 8-10 of entry l in qh bits 3l..3l+2; dl = 1, +1/8. */
    static byte[] iq1s(GgmlPeer peer) {
        int blocks = 2048 / 32;
        byte[] q = new byte[blocks * 50];
        for (int b = 0; b < blocks; b++) {
            le16(q, b * 50, ONE);
            for (int ib = 0; ib < 8; ib++) {
                int qh = 0;
                for (int l = 0; l < 4; l++) {
                    int idx = b * 32 + ib * 4 + l;
                    q[b * 50 + 2 + 4 * ib + l] = (byte) idx;
                    qh |= ((idx >> 8) & 7) << (3 * l);
                }
                le16(q, b * 50 + 34 + 2 * ib, qh);
            }
        }
        float[] y = peer.dequantize(IQ1_S, q, blocks * 256);
        for (int i = 0; i < y.length; i++) {
            y[i] -= 0.125f; // IQ1S_DELTA; exact() fails if that is not what ggml added
        }
        return exact(y, 1.0f, true);
    }

    /** Sign indices s = 0..127 through IQ2_XXS entry 0 (all 8 values positive): bit j = element j negative. */
    static byte[] ksigns(GgmlPeer peer) {
        int blocks = 128 / 32;
        byte[] q = new byte[blocks * 66];
        for (int b = 0; b < blocks; b++) {
            le16(q, b * 66, ONE);
            for (int ib32 = 0; ib32 < 8; ib32++) {
                int aux = 0;
                for (int l = 0; l < 4; l++) {
                    aux |= (b * 32 + ib32 * 4 + l) << (7 * l);
                }
                le32(q, b * 66 + 2 + 8 * ib32 + 4, aux);
            }
        }
        float[] y = peer.dequantize(IQ2_XXS, q, blocks * 256);
        byte[] s = new byte[128];
        for (int k = 0; k < 128; k++) {
            int bits = 0;
            for (int j = 0; j < 8; j++) {
                float v = y[k * 8 + j];
                if (Math.abs(v) == 0) {
                    throw new IllegalStateException("iq2xxs grid entry 0 has a zero value");
                }
                if (v < 0) {
                    bits |= 1 << j;
                }
            }
            s[k] = (byte) bits;
        }
        return s;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: IqTableGenerator <output dir>");
            System.exit(2);
        }
        GgmlPeer peer = GgmlPeer.load().orElseThrow(() -> new IllegalStateException(GgmlPeer.unavailableReason()));
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> e : generate(peer).entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
            System.out.println(e.getKey() + ": " + e.getValue().length + " bytes");
        }
    }
}
