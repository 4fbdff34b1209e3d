package io.weightcast.core.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weightcast.core.engine.TestTensors;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.TensorView;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final TensorView WEIGHT = TestTensors.of("blk.weight", DType.BF16, 512, 256);
    private static final TensorView ODD_ROWS = TestTensors.of("odd.weight", DType.F32, 8, 100);
    private static final TensorView NORM = TestTensors.of("norm.weight", DType.F16, 256);
    private static final TensorView IDS = TestTensors.of("position_ids", DType.I64, 1, 16);
    private static final TensorView MASK = TestTensors.of("mask", DType.BOOL, 16);

    private static DType typeOf(ConversionPlan plan, String name) {
        return plan.jobs().stream().filter(j -> j.target().name().equals(name)).findFirst().orElseThrow()
                .target().dtype();
    }

    @Test
    void ggufQuantizesFittingWeightsAndKeepsNormsInF32() {
        ConversionPlan p = Planner.plan(List.of(WEIGHT, ODD_ROWS, NORM, IDS), TargetFormat.GGUF, DType.Q8_0);
        assertThat(typeOf(p, "blk.weight")).isEqualTo(DType.Q8_0);
        assertThat(typeOf(p, "odd.weight")).as("rows of 100 are not whole 32-blocks").isEqualTo(DType.F16);
        assertThat(typeOf(p, "norm.weight")).isEqualTo(DType.F32);
        assertThat(typeOf(p, "position_ids")).isEqualTo(DType.I64);
    }

    @Test
    void ggufDefaultsToF16() {
        ConversionPlan p = Planner.plan(List.of(WEIGHT, NORM), TargetFormat.GGUF, null);
        assertThat(typeOf(p, "blk.weight")).isEqualTo(DType.F16);
        assertThat(typeOf(p, "norm.weight")).isEqualTo(DType.F32);
    }

    @Test
    void ggufRefusesTypesItCannotStoreNamingTheTensor() {
        assertThatThrownBy(() -> Planner.plan(List.of(MASK), TargetFormat.GGUF, DType.Q8_0))
                .isInstanceOf(UnsupportedTargetException.class).hasMessageContaining("'mask'")
                .hasMessageContaining("BOOL");
        assertThatThrownBy(() -> Planner.plan(List.of(WEIGHT), TargetFormat.GGUF, DType.F8_E4M3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a GGUF type");
    }

    @Test
    void safetensorsDequantizesBlockTypesAndCastsFloatsOnRequest() {
        TensorView q = TestTensors.of("q", DType.Q8_0, 4, 64);
        ConversionPlan keep = Planner.plan(List.of(q, NORM, IDS, MASK), TargetFormat.SAFETENSORS, null);
        assertThat(typeOf(keep, "q")).isEqualTo(DType.F32);
        assertThat(typeOf(keep, "norm.weight")).isEqualTo(DType.F16);
        assertThat(typeOf(keep, "mask")).isEqualTo(DType.BOOL);
        ConversionPlan cast = Planner.plan(List.of(q, NORM, IDS), TargetFormat.SAFETENSORS, DType.BF16);
        assertThat(typeOf(cast, "q")).isEqualTo(DType.BF16);
        assertThat(typeOf(cast, "norm.weight")).isEqualTo(DType.BF16);
        assertThat(typeOf(cast, "position_ids")).isEqualTo(DType.I64);
        assertThatThrownBy(() -> Planner.plan(List.of(q), TargetFormat.SAFETENSORS, DType.Q4_0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a safetensors float dtype");
    }
}
