package io.weightcast.core.layout;

import io.weightcast.formats.tensor.DType;
import java.util.OptionalInt;

/** llama.cpp's {@code llama_ftype} ids (the value of {@code general.file_type}) for a file's main tensor type. */
public final class LlamaFileType {
    private LlamaFileType() {
    }

    /** The ftype of a file whose weights are mostly {@code type}, or empty when llama.cpp has none. */
    public static OptionalInt of(DType type) {
        return switch (type) {
            case F32 -> OptionalInt.of(0);
            case F16 -> OptionalInt.of(1);
            case Q4_0 -> OptionalInt.of(2);
            case Q4_1 -> OptionalInt.of(3);
            case Q8_0 -> OptionalInt.of(7);
            case Q5_0 -> OptionalInt.of(8);
            case Q5_1 -> OptionalInt.of(9);
            case Q2_K -> OptionalInt.of(10);
            case Q3_K -> OptionalInt.of(12);
            case Q4_K -> OptionalInt.of(15);
            case Q5_K -> OptionalInt.of(17);
            case Q6_K -> OptionalInt.of(18);
            case IQ4_NL -> OptionalInt.of(25);
            case IQ4_XS -> OptionalInt.of(30);
            case BF16 -> OptionalInt.of(32);
            case TQ1_0 -> OptionalInt.of(36);
            case TQ2_0 -> OptionalInt.of(37);
            case MXFP4 -> OptionalInt.of(38);
            default -> OptionalInt.empty();
        };
    }
}
