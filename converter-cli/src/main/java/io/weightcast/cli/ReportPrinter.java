package io.weightcast.cli;

import io.weightcast.core.verify.TensorStats;
import io.weightcast.core.verify.VerifyReport;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints a round-trip report as a table or JSON. */
final class ReportPrinter {
    private ReportPrinter() {
    }

    /** @param bound the relative RMSE bound to flag against, or NaN for none */
    static void printText(PrintWriter out, VerifyReport report, double bound) {
        int w = Math.min(64, report.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(6));
        String row = "%-" + w + "s  %-7s  %-7s  %12s  %12s  %10s  %s%n";
        out.printf(Locale.ROOT, row, "tensor", "ref", "cand", "rel_rmse", "max_abs_err", "cosine", "");
        for (TensorStats t : report.tensors()) {
            boolean bad = !Double.isNaN(bound) && !(t.relativeRmse() <= bound);
            out.printf(Locale.ROOT, row, t.name(), t.referenceType(), t.candidateType(), fmt(t.relativeRmse()),
                    fmt(t.maxAbsError()), String.format(Locale.ROOT, "%.6f", t.cosine()), bad ? "ABOVE BOUND" : "");
        }
        report.onlyInReference().forEach(n -> out.printf("missing in candidate: %s%n", n));
        report.onlyInCandidate().forEach(n -> out.printf("only in candidate:    %s%n", n));
        out.printf(Locale.ROOT, "%d tensors compared, worst relative RMSE %s", report.tensors().size(),
                fmt(report.worstRelativeRmse()));
        if (!Double.isNaN(bound)) {
            List<TensorStats> bad = report.exceeding(bound);
            out.printf(Locale.ROOT, ", %d above the bound %s", bad.size(), fmt(bound));
        }
        out.println();
    }

    static Map<String, Object> json(VerifyReport report, double bound, boolean passed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("passed", passed);
        m.put("maxRelRmse", Double.isNaN(bound) ? null : bound);
        m.put("worstRelRmse", jsonNumber(report.worstRelativeRmse()));
        m.put("tensors", report.tensors().stream().map(t -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", t.name());
            e.put("elements", t.elements());
            e.put("referenceDtype", t.referenceType().name());
            e.put("candidateDtype", t.candidateType().name());
            e.put("relRmse", jsonNumber(t.relativeRmse()));
            e.put("maxAbsError", jsonNumber(t.maxAbsError()));
            e.put("cosine", jsonNumber(t.cosine()));
            e.put("withinBound", Double.isNaN(bound) || t.relativeRmse() <= bound);
            return e;
        }).toList());
        m.put("missingInCandidate", report.onlyInReference());
        m.put("onlyInCandidate", report.onlyInCandidate());
        return m;
    }

    /** JSON has no Infinity/NaN: write them as strings so the output stays valid JSON. */
    private static Object jsonNumber(double v) {
        return Double.isFinite(v) ? v : String.valueOf(v);
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3e", v) : String.valueOf(v);
    }
}
