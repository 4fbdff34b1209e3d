package io.weightcast.core.codec.scalar;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * ggml's codebooks for the IQ1/IQ2/IQ3 grid types ({@code iq2xxs_grid}, {@code iq2xs_grid}, {@code iq2s_grid},
 * {@code iq3xxs_grid}, {@code iq3s_grid}, {@code iq1s_grid}, {@code ksigns_iq2xs}), loaded from
 * {@code /io/weightcast/core/codec/tables/*.bin}. Those files are data measured from the peer, not transcribed
 * source: {@code io.weightcast.testdata.generators.IqTableGenerator} dequantizes crafted blocks with ggml's
 * {@code to_float} and writes each grid entry's values in element order (see the PROVENANCE.md beside them).
 *
 * <p>Layout: grid {@code g} entry {@code i} value {@code j} is {@code g[i·w + j]} ({@code w} = 8 for the IQ2 and
 * IQ1 grids, 4 for the IQ3 grids); IQ2/IQ3 values are unsigned magnitudes, IQ1 values are −1, 0, 1 (signed bytes).
 * {@code KSIGNS[s]} is the sign byte (bit j set = element j negative) selected by a 7-bit sign index.
 */
final class IqTables {

    private IqTables() {}

    static final String DIR = "/io/weightcast/core/codec/tables/";

    static final byte[] IQ2XXS = load("iq2xxs_grid.bin", 256 * 8);
    static final byte[] IQ2XS = load("iq2xs_grid.bin", 512 * 8);
    static final byte[] IQ2S = load("iq2s_grid.bin", 1024 * 8);
    static final byte[] IQ3XXS = load("iq3xxs_grid.bin", 256 * 4);
    static final byte[] IQ3S = load("iq3s_grid.bin", 512 * 4);
    static final byte[] IQ1S = load("iq1s_grid.bin", 2048 * 8);
    static final byte[] KSIGNS = load("ksigns_iq2xs.bin", 128);
    /** ggml's {@code IQ1S_DELTA}. */
    static final float IQ1S_DELTA = 0.125f;

    private static byte[] load(String name, int size) {
        try (InputStream in = IqTables.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("codec table " + DIR + name + " is missing from the classpath");
            }
            byte[] b = in.readAllBytes();
            if (b.length != size) {
                throw new IllegalStateException("codec table " + name + " has " + b.length + " bytes, not " + size);
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
