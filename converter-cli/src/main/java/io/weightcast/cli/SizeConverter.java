package io.weightcast.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Parses sizes like {@code 500M}, {@code 2G}, {@code 5GB} (decimal units, as llama.cpp and transformers use). */
final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT).replaceFirst("B$", "");
        long unit = 1;
        if (v.endsWith("K")) {
            unit = 1_000L;
        } else if (v.endsWith("M")) {
            unit = 1_000_000L;
        } else if (v.endsWith("G")) {
            unit = 1_000_000_000L;
        } else if (v.endsWith("T")) {
            unit = 1_000_000_000_000L;
        }
        String digits = unit == 1 ? v : v.substring(0, v.length() - 1);
        try {
            long n = Math.multiplyExact(Long.parseLong(digits.trim()), unit);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a size; use e.g. 500M, 2G or 5GB");
        }
    }
}
