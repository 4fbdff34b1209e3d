package io.weightcast.cli;

import io.weightcast.formats.tensor.DType;
import picocli.CommandLine;

/** Parses {@code --type} values in any case (q8_0, Q8_0, bf16) into a {@link DType}, with a helpful error. */
final class TypeConverter implements CommandLine.ITypeConverter<DType> {
    @Override
    public DType convert(String value) {
        return DType.parse(value).orElseThrow(() -> new CommandLine.TypeConversionException(
                "unknown type '" + value + "'; use a ggml type name such as F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, "
                        + "Q5_1 (safetensors also takes F8_E4M3, F8_E5M2)"));
    }
}
