package io.weightcast.core.verify;

import io.weightcast.formats.tensor.DType;

/**
 * How far a candidate tensor is from its reference.
 *
 * @param relativeRmse sqrt(Σ(r−c)² / Σr²); 0 when both are all zeros, +∞ when only the reference is
 * @param maxAbsError  max |r−c|
 * @param cosine       Σrc / sqrt(Σr² Σc²); 1 when both are all zeros
 */
public record TensorStats(String name, long elements, DType referenceType, DType candidateType,
                          double relativeRmse, double maxAbsError, double cosine) {
}
