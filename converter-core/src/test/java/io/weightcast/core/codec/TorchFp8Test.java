package io.weightcast.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.formats.tensor.DType;
import io.weightcast.testdata.GoldenVectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our F8_E4M3/F8_E5M2/F16/BF16 encoders against torch 2.11's casts of 12,307 values (edge cases included).
 * torch's FP8 casts do not saturate; where torch overflows (NaN for e4m3fn, inf for e5m2) for a non-NaN input,
 * ours must give the clamped maximum with the input's sign.
 */
@Tag("kernels")
class TorchFp8Test {

    static java.util.List<Codec> e4m3() {
        return CodecTestSupport.implementations(DType.F8_E4M3);
    }

    static java.util.List<Codec> e5m2() {
        return CodecTestSupport.implementations(DType.F8_E5M2);
    }

    static java.util.List<Codec> f16() {
        return CodecTestSupport.implementations(DType.F16);
    }

    static java.util.List<Codec> bf16() {
        return CodecTestSupport.implementations(DType.BF16);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("e4m3")
    void e4m3MatchesTorch(Codec c) {
        checkFp8(c, "e4m3fn", 0x7E, 0x7F);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("e5m2")
    void e5m2MatchesTorch(Codec c) {
        checkFp8(c, "e5m2", 0x7B, 0x7C);
    }

    private static void checkFp8(Codec c, String name, int maxCode, int overflowCode) {
        float[] x = GoldenVectors.torchInput();
        byte[] torch = GoldenVectors.torchBytes(name + ".u8");
        float[] torchDeq = GoldenVectors.torchFloats(name + ".deq.f32");
        byte[] ours = CodecTestSupport.encode(c, x);
        int compared = 0;
        int clamped = 0;
        for (int i = 0; i < x.length; i++) {
            int t = torch[i] & 0xFF;
            int o = ours[i] & 0xFF;
            int sign = Float.floatToRawIntBits(x[i]) < 0 ? 0x80 : 0;
            boolean torchFinite = (t & 0x7F) < overflowCode;
            if (Float.isNaN(x[i])) {
                assertThat(o & 0x7F).as("NaN input %d", i).isEqualTo(0x7F);
            } else if (torchFinite) {
                assertThat(o).as("%s of %s (index %d)", name, x[i], i).isEqualTo(t);
                compared++;
            } else {
                assertThat(o).as("%s of out-of-range %s (index %d) must clamp", name, x[i], i)
                        .isEqualTo(sign | maxCode);
                clamped++;
            }
        }
        assertThat(compared).isGreaterThan(12000);
        assertThat(clamped).isGreaterThan(0);
        float[] deq = CodecTestSupport.decode(c, torch, torch.length);
        for (int i = 0; i < deq.length; i++) {
            if (Float.isNaN(torchDeq[i])) {
                assertThat(deq[i]).as("decode of NaN code at %d", i).isNaN();
            } else {
                assertThat(Float.floatToRawIntBits(deq[i])).as("decode of code 0x%02x at %d", torch[i], i)
                        .isEqualTo(Float.floatToRawIntBits(torchDeq[i]));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("f16")
    void f16MatchesTorch(Codec c) {
        check16(c, "f16.i16", 0x7C00);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bf16")
    void bf16MatchesTorch(Codec c) {
        check16(c, "bf16.i16", 0x7F80);
    }

    private static void check16(Codec c, String file, int expMask) {
        float[] x = GoldenVectors.torchInput();
        short[] torch = GoldenVectors.shorts(GoldenVectors.torchBytes(file));
        short[] ours = GoldenVectors.shorts(CodecTestSupport.encode(c, x));
        for (int i = 0; i < x.length; i++) {
            if (Float.isNaN(x[i])) {
                assertThat(ours[i] & expMask).isEqualTo(expMask);
                assertThat(ours[i] & ~expMask & 0x7FFF).isNotZero();
            } else {
                assertThat(ours[i]).as("%s of %s (index %d)", file, x[i], i).isEqualTo(torch[i]);
            }
        }
    }
}
