package io.weightcast.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.formats.tensor.DType;
import java.util.List;
import java.util.HexFormat;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Specific numerics from gguf.md §3.0 and the registry contract. */
@Tag("kernels")
class CodecNumericsTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // gguf.md §3.0.7: bytes of one all-zero block from the x86 peer build
        "Q4_0, 008088888888888888888888888888888888",
        "Q5_0, 0080ffffffff00000000000000000000000000000000",
        "Q4_1, 0000000000000000000000000000000000000000",
        "Q5_1, 000000000000000000000000000000000000000000000000",
        "Q8_0, 00000000000000000000000000000000000000000000000000000000000000000000"
    })
    void allZeroBlock(DType type, String hex) {
        byte[] expected = HexFormat.of().parseHex(hex);
        // ggml's Q4_1/Q5_1 take min = -0.0 from a block of -0.0 (m = 0x8000); only +0 blocks are all-zero bytes
        boolean minMax = type == DType.Q4_1 || type == DType.Q5_1;
        for (float zero : minMax ? new float[] {0.0f} : new float[] {0.0f, -0.0f}) {
            float[] x = new float[32];
            java.util.Arrays.fill(x, zero);
            for (Codec c : CodecTestSupport.implementations(type)) {
                assertThat(HexFormat.of().formatHex(CodecTestSupport.encode(c, x))).as("%s of %s", c, zero)
                        .isEqualTo(HexFormat.of().formatHex(expected));
            }
        }
    }

    @Test
    void roundfIsHalfAwayFromZero() {
        assertThat(GgmlRounding.roundf(0.49999997f)).isEqualTo(0.0f);
        assertThat(GgmlRounding.roundf(-0.49999997f)).isEqualTo(-0.0f);
        assertThat(GgmlRounding.roundf(-2.5f)).isEqualTo(-3.0f);
        assertThat(GgmlRounding.roundf(2.5f)).isEqualTo(3.0f);
        assertThat(GgmlRounding.roundf(0.5f)).isEqualTo(1.0f);
        assertThat(GgmlRounding.roundf(-0.5f)).isEqualTo(-1.0f);
        assertThat(GgmlRounding.roundf(1.5f)).isEqualTo(2.0f);
        assertThat(GgmlRounding.roundf(8388609f)).isEqualTo(8388609f);
        assertThat(GgmlRounding.roundf(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(GgmlRounding.nearestInt(2.5f)).isEqualTo(2);
        assertThat(GgmlRounding.nearestInt(-2.5f)).isEqualTo(-2);
        assertThat(GgmlRounding.cvttss2si(Float.NaN)).isEqualTo(Integer.MIN_VALUE);
        assertThat(GgmlRounding.cvttss2si(3e9f)).isEqualTo(Integer.MIN_VALUE);
        assertThat(GgmlRounding.toInt8(-7.9f)).isEqualTo(-7);
    }

    @Test
    void q8_0TiesRoundAwayFromZeroInBothImplementations() {
        // amax 127 → d = 1, id = 1: every x.5 is an exact tie
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = -2.5f;
        x[2] = 2.5f;
        x[3] = 0.5f;
        x[4] = -0.5f;
        x[5] = 0.49999997f;
        for (Codec c : CodecTestSupport.implementations(DType.Q8_0)) {
            byte[] b = CodecTestSupport.encode(c, x);
            assertThat(new byte[] {b[2], b[3], b[4], b[5], b[6], b[7]}).as("%s", c)
                    .containsExactly(127, -3, 3, 1, -1, 0);
        }
    }

    @Test
    void fp16NanIsCanonical() {
        assertThat(Fp16.fromFloat(Float.intBitsToFloat(0x7F800001))).isEqualTo((short) 0x7E00);
        assertThat(Fp16.fromFloat(Float.intBitsToFloat(0xFFC12345))).isEqualTo((short) 0xFE00);
        assertThat(Fp16.fromFloat(Float.NaN)).isEqualTo((short) 0x7E00);
        assertThat(Fp16.fromFloat(65519.996f)).isEqualTo((short) 0x7BFF);
        assertThat(Fp16.fromFloat(65520f)).isEqualTo((short) 0x7C00);
        assertThat(Fp16.fromFloat(0x1p-25f)).isEqualTo((short) 0);
        assertThat(Fp16.fromFloat(0x1.8p-25f)).isEqualTo((short) 1);
        assertThat(Fp16.fromFloat(-0.0f)).isEqualTo((short) 0x8000);
        float[] nans = new float[40];
        java.util.Arrays.fill(nans, Float.intBitsToFloat(0xFF812345));
        for (Codec c : CodecTestSupport.implementations(DType.F16)) {
            short[] h = io.weightcast.testdata.GoldenVectors.shorts(CodecTestSupport.encode(c, nans));
            for (short s : h) {
                assertThat(s).as("%s", c).isEqualTo((short) 0xFE00);
            }
        }
    }

    @Test
    void fp16DecodeIsExactForAllHalves() {
        byte[] all = new byte[65536 * 2];
        for (int h = 0; h < 65536; h++) {
            all[2 * h] = (byte) h;
            all[2 * h + 1] = (byte) (h >>> 8);
        }
        for (Codec c : CodecTestSupport.implementations(DType.F16)) {
            float[] f = CodecTestSupport.decode(c, all, 65536);
            for (int h = 0; h < 65536; h++) {
                boolean nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
                int expected = nan ? ((h & 0x8000) << 16) | 0x7FC00000 | ((h & 0x3FF) << 13)
                        : Float.floatToRawIntBits(Float.float16ToFloat((short) h));
                assertThat(Float.floatToRawIntBits(f[h])).as("%s half 0x%04x", c, h).isEqualTo(expected);
                if (!nan) {
                    // and round-trips
                    assertThat(Fp16.fromFloat(f[h])).isEqualTo((short) h);
                }
            }
        }
    }

    @Test
    void bf16NanAndRounding() {
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x7F800001))).isEqualTo((short) 0x7FC0);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x3F808000))).isEqualTo((short) 0x3F80); // tie to even
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x3F818000))).isEqualTo((short) 0x3F82);
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x00008000))).isEqualTo((short) 0x0000); // no flush, RNE
        assertThat(Bf16.fromFloat(Float.intBitsToFloat(0x00018000))).isEqualTo((short) 0x0002);
    }

    @Test
    void fp8Saturates() {
        assertThat(Fp8.e4m3FromFloat(1e6f)).isEqualTo((byte) 0x7E);
        assertThat(Fp8.e4m3FromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((byte) 0xFE);
        assertThat(Fp8.e4m3FromFloat(Float.NaN)).isEqualTo((byte) 0x7F);
        assertThat(Fp8.e4m3FromFloat(464f)).isEqualTo((byte) 0x7E);
        assertThat(Fp8.e4m3FromFloat(0x1p-10f)).isEqualTo((byte) 0x00);
        assertThat(Fp8.e4m3FromFloat(0x1.8p-10f)).isEqualTo((byte) 0x01);
        assertThat(Fp8.e5m2FromFloat(Float.POSITIVE_INFINITY)).isEqualTo((byte) 0x7B);
        assertThat(Fp8.e5m2FromFloat(-61440f)).isEqualTo((byte) 0xFB);
        assertThat(Fp8.e5m2FromFloat(Float.NaN)).isEqualTo((byte) 0x7F);
        for (int b = 0; b < 256; b++) {
            float v = Fp8.e4m3ToFloat((byte) b);
            if (!Float.isNaN(v)) {
                assertThat(Fp8.e4m3FromFloat(v)).isEqualTo((byte) b);
            }
            float w = Fp8.e5m2ToFloat((byte) b);
            if (Float.isFinite(w)) {
                assertThat(Fp8.e5m2FromFloat(w)).isEqualTo((byte) b);
            }
        }
    }

    @Test
    void registry() {
        for (DType t : CodecTestSupport.TYPES) {
            assertThat(Codecs.supports(t)).isTrue();
            assertThat(Codecs.forType(t).type()).isEqualTo(t);
            assertThat(Codecs.scalar(t).type()).isEqualTo(t);
            assertThat(Codecs.vector(t).isPresent()).isEqualTo(KernelProvider.vectorAvailable());
        }
        assertThat(Codecs.supports(DType.C64)).isFalse();
        assertThatThrownBy(() -> Codecs.forType(DType.C64)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("C64");
        assertThatThrownBy(() -> Codecs.vector(DType.C64)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("C64");
        // read-only types: decodable, not encodable
        assertThat(Codecs.canDecode(DType.IQ2_XXS)).isTrue();
        assertThat(Codecs.canEncode(DType.IQ2_XXS)).isFalse();
        assertThat(Codecs.supports(DType.IQ2_XXS)).isTrue();
        for (DType t : List.of(DType.TQ1_0, DType.TQ2_0, DType.MXFP4, DType.NVFP4, DType.Q1_0, DType.Q2_0, DType.Q8_1)) {
            assertThat(Codecs.canEncode(t)).as(t.toString()).isTrue();
        }
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertThat(KernelProvider.vectorAvailable()).isEqualTo(module);
        if (System.getProperty(KernelProvider.PROPERTY) == null) {
            assertThat(KernelProvider.selected()).isEqualTo(
                    module ? KernelProvider.Implementation.VECTOR : KernelProvider.Implementation.SCALAR);
        }
        assertThatThrownBy(() -> Codecs.forType(DType.Q8_0).encode(new float[31], 0, 31,
                java.lang.foreign.MemorySegment.ofArray(new byte[34]), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void importanceHook() {
        float[] x = new float[64];
        byte[] out = new byte[68];
        java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(out);
        Codecs.forType(DType.Q8_0).encodeRows(x, 0, 2, 32, new float[32], seg, 0); // ggml ignores it for Q8_0
        // Q4_0..Q5_1 have importance-weighted encoders (bytes checked against ggml in MiscCodecPeerConformanceTest)
        for (DType t : List.of(DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1)) {
            byte[] o = new byte[(int) t.byteSize(64)];
            float[] ramp = new float[64];
            for (int i = 0; i < 64; i++) {
                ramp[i] = (i % 7 - 3) * 0.25f;
            }
            float[] w = new float[32];
            java.util.Arrays.fill(w, 1f);
            Codecs.forType(t).encodeRows(ramp, 0, 2, 32, w, java.lang.foreign.MemorySegment.ofArray(o), 0);
            float[] back = new float[64];
            Codecs.forType(t).decode(java.lang.foreign.MemorySegment.ofArray(o), 0, 64, back, 0);
            for (int i = 0; i < 64; i++) {
                assertThat(back[i]).as("%s element %d", t, i).isCloseTo(ramp[i], org.assertj.core.data.Offset.offset(0.1f));
            }
            assertThatThrownBy(() -> Codecs.forType(t).encodeRows(x, 0, 2, 32, new float[16],
                    java.lang.foreign.MemorySegment.ofArray(o), 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("importance");
        }
    }
}
