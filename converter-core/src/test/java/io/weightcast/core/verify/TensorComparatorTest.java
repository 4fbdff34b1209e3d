package io.weightcast.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.weightcast.core.engine.TestTensors;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import org.junit.jupiter.api.Test;

class TensorComparatorTest {

    @Test
    void identicalTensorsHaveNoError() {
        float[] v = TestTensors.gaussian(7, 1000, 1f);
        TensorStats s = TensorComparator.compare("t", TestTensors.f32("a", v, 1000), TestTensors.f32("b", v, 1000));
        assertThat(s.relativeRmse()).isZero();
        assertThat(s.maxAbsError()).isZero();
        assertThat(s.cosine()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void statisticsMatchTheirDefinitions() {
        float[] r = {3, 4, 0, 0};
        float[] c = {3, 3, 1, 0};
        TensorStats s = TensorComparator.compare("t", TestTensors.f32("r", r, 4), TestTensors.f32("c", c, 4));
        // sqrt((0 + 1 + 1) / (9 + 16)) and (9 + 12) / (5 * sqrt(19))
        assertThat(s.relativeRmse()).isCloseTo(Math.sqrt(2.0 / 25), within(1e-12));
        assertThat(s.maxAbsError()).isEqualTo(1.0);
        assertThat(s.cosine()).isCloseTo(21 / (5 * Math.sqrt(19)), within(1e-12));
    }

    @Test
    void nanWhereTheReferenceIsFiniteIsAnInfiniteError() {
        TensorStats s = TensorComparator.compare("t", TestTensors.f32("r", new float[] {1, 2}, 2),
                TestTensors.f32("c", new float[] {1, Float.NaN}, 2));
        assertThat(s.relativeRmse()).isInfinite();
    }

    @Test
    void shapesWithDifferentElementCountsAreRefused() {
        assertThatThrownBy(() -> TensorComparator.compare("t", TestTensors.f32("r", new float[4], 4),
                TestTensors.f32("c", new float[2], 2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'t'");
    }

    @Test
    void integerTensorsMustMatchByteForByte() {
        TensorView a = TestTensors.of("ids", DType.I64, 8);
        TensorView b = TestTensors.of("ids", DType.I64, 8);
        assertThat(TensorComparator.compare("ids", a, b).relativeRmse()).isZero();
        b.data().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 3, (byte) 1);
        assertThat(TensorComparator.compare("ids", a, b).relativeRmse()).isInfinite();
    }
}
