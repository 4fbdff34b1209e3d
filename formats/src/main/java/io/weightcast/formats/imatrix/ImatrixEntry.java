package io.weightcast.formats.imatrix;

/**
 * One tensor's raw statistics as stored in an imatrix file.
 *
 * @param sums   GGUF: {@code in_sum2}, Σx² per input column, {@code nMat × nPerRow}; legacy: the stored values
 *               ({@code (Σx²/count)·ncall})
 * @param counts GGUF: tokens seen per matrix (expert); legacy: one element, {@code ncall}
 */
public record ImatrixEntry(String name, float[] sums, float[] counts) {
}
