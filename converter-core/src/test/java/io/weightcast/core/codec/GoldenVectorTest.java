package io.weightcast.core.codec;

import static io.weightcast.core.codec.CodecTestSupport.firstBitDifference;
import static io.weightcast.core.codec.CodecTestSupport.firstByteDifference;
import static io.weightcast.core.codec.CodecTestSupport.hex;
import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.formats.tensor.DType;
import io.weightcast.testdata.GoldenVectors;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every type × distribution of ggml's golden vectors (llama.cpp 0ad4a86, x86-64 baseline): our encode equals
 * ggml's bytes and our decode of ggml's bytes equals ggml's floats bit for bit, for each implementation.
 */
@Tag("kernels")
class GoldenVectorTest {

    static List<Arguments> cases() {
        return cases(false);
    }

    /** Read-only types (IQ2_S, …) have ggml's bytes to decode but no encoder. */
    static List<Arguments> encodeCases() {
        return cases(true);
    }

    static List<Arguments> cases(boolean encodableOnly) {
        List<Arguments> l = new ArrayList<>();
        for (String type : GoldenVectors.types()) {
            DType t = DType.parse(type).orElseThrow();
            if (encodableOnly && !Codecs.canEncode(t)) {
                continue;
            }
            for (String dist : GoldenVectors.distributions()) {
                for (Codec c : CodecTestSupport.implementations(t)) {
                    l.add(Arguments.of(c, dist));
                }
            }
        }
        return l;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("encodeCases")
    void encodeMatchesGgml(Codec codec, String dist) {
        String type = codec.type().ggmlName().orElseThrow();
        float[] x = GoldenVectors.input(dist);
        byte[] expected = GoldenVectors.quantized(type, dist);
        for (byte[] got : List.of(CodecTestSupport.encode(codec, x), CodecTestSupport.encodeUnaligned(codec, x))) {
            int i = firstByteDifference(got, expected);
            int bb = codec.type().blockBytes();
            assertThat(i).as("%s %s: first differing byte %d (block %d): got [%s] expected [%s]", codec, dist, i,
                    i / bb, hex(got, i / bb * bb, bb), hex(expected, i / bb * bb, bb)).isEqualTo(-1);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void decodeMatchesGgml(Codec codec, String dist) {
        String type = codec.type().ggmlName().orElseThrow();
        byte[] q = GoldenVectors.quantized(type, dist);
        float[] expected = GoldenVectors.dequantized(type, dist);
        for (float[] got : List.of(CodecTestSupport.decode(codec, q, expected.length),
                CodecTestSupport.decodeUnaligned(codec, q, expected.length))) {
            int i = firstBitDifference(got, expected);
            assertThat(i).as("%s %s: first differing float %d: got %s expected %s", codec, dist, i,
                    i >= 0 ? got[i] : 0, i >= 0 ? expected[i] : 0).isEqualTo(-1);
        }
    }

    @org.junit.jupiter.api.Test
    void allGoldenTypesAreCovered() {
        assertThat(GoldenVectors.types()).containsExactlyInAnyOrder("f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0",
                "q5_1", "q2_K", "q4_K", "q5_K", "q3_K", "q6_K", "iq4_nl", "iq4_xs", "tq1_0", "tq2_0", "mxfp4", "nvfp4",
                "q1_0", "q2_0", "iq2_s", "iq3_s", "iq3_xxs", "iq1_m");
        for (String type : GoldenVectors.types()) {
            assertThat(Codecs.canDecode(DType.parse(type).orElseThrow())).as(type).isTrue();
        }
        assertThat(GoldenVectors.distributions()).hasSize(7);
        for (String d : GoldenVectors.distributions()) {
            assertThat(GoldenVectors.input(d)).hasSize(GoldenVectors.rows(d) * GoldenVectors.cols(d));
        }
    }
}
