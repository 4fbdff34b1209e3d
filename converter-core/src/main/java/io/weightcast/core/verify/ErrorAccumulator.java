package io.weightcast.core.verify;

/** Running sums for the round-trip statistics, in double so that millions of terms don't lose precision. */
final class ErrorAccumulator {
    private double sumRefSquared;
    private double sumCandSquared;
    private double sumDiffSquared;
    private double sumProduct;
    private double maxAbs;
    private boolean nonFinite;

    void add(float[] reference, float[] candidate, int count) {
        for (int i = 0; i < count; i++) {
            double r = reference[i];
            double c = candidate[i];
            if (!Double.isFinite(r) || !Double.isFinite(c)) {
                // Inf/NaN in the same place on both sides is a faithful round trip; anything else is an error.
                if (Double.compare(r, c) != 0) {
                    nonFinite = true;
                }
                continue;
            }
            double d = r - c;
            sumRefSquared += r * r;
            sumCandSquared += c * c;
            sumDiffSquared += d * d;
            sumProduct += r * c;
            maxAbs = Math.max(maxAbs, Math.abs(d));
        }
    }

    double relativeRmse() {
        if (nonFinite) {
            return Double.POSITIVE_INFINITY;
        }
        if (sumRefSquared == 0) {
            return sumDiffSquared == 0 ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.sqrt(sumDiffSquared / sumRefSquared);
    }

    double maxAbsError() {
        return nonFinite ? Double.POSITIVE_INFINITY : maxAbs;
    }

    double cosine() {
        if (nonFinite) {
            return Double.NaN;
        }
        if (sumRefSquared == 0 && sumCandSquared == 0) {
            return 1;
        }
        if (sumRefSquared == 0 || sumCandSquared == 0) {
            return 0;
        }
        return sumProduct / Math.sqrt(sumRefSquared * sumCandSquared);
    }
}
