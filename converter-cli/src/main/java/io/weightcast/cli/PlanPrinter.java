package io.weightcast.cli;

import io.weightcast.core.plan.ConversionPlan;
import io.weightcast.core.plan.TensorJob;
import java.io.PrintWriter;
import java.util.Arrays;

/** Prints a conversion plan for {@code --dry-run}. */
final class PlanPrinter {
    private PlanPrinter() {
    }

    static void print(PrintWriter out, ConversionPlan plan) {
        int w = Math.min(64, plan.jobs().stream().mapToInt(j -> j.target().name().length()).max().orElse(6));
        String row = "%-" + w + "s  %-22s  %-7s  %-7s  %14s%n";
        out.printf(row, "tensor", "shape", "from", "to", "bytes");
        for (TensorJob j : plan.jobs()) {
            String line = String.format(row, j.target().name(), Arrays.toString(j.target().shape()),
                    j.source().dtype(), j.target().dtype(), String.format("%,d", j.target().byteSize()));
            if (!j.source().name().equals(j.target().name()) || !j.transform().isIdentity()) {
                // renamed (HF -> GGUF names) or transformed: say where it comes from and how
                line = line.stripTrailing() + "  <- " + j.source().name()
                        + (j.transform().isIdentity() ? "" : " (" + j.transform() + ")") + System.lineSeparator();
            }
            out.print(line);
        }
        out.printf("%d tensors: %s -> %s%n", plan.jobs().size(), Footprint.humanBytes(plan.sourceBytes()),
                Footprint.humanBytes(plan.targetBytes()));
    }
}
