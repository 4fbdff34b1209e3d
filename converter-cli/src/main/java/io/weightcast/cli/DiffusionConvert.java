package io.weightcast.cli;

import io.weightcast.core.diffusion.DiffusionConvertService;
import io.weightcast.core.diffusion.DiffusionConvertService.ComponentResult;
import io.weightcast.core.diffusion.DiffusionRequest;
import io.weightcast.core.job.VerifyService;
import io.weightcast.core.verify.VerifyReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The diffusion side of {@code convert}: runs the service and prints plans, notes, summaries and reports. */
final class DiffusionConvert {
    private final PrintWriter out;
    private final boolean quiet;
    private final boolean report;
    private final boolean dryRun;

    DiffusionConvert(PrintWriter out, boolean quiet, boolean report, boolean dryRun) {
        this.out = out;
        this.quiet = quiet;
        this.report = report;
        this.dryRun = dryRun;
    }

    int run(DiffusionRequest request) throws Exception {
        List<ComponentResult> results;
        if (dryRun) {
            results = DiffusionConvertService.plan(request);
        } else {
            long total = DiffusionConvertService.plan(request).stream().filter(ComponentResult::converted)
                    .mapToLong(c -> c.plan().plan().sourceBytes()).sum();
            try (Progress progress = Progress.start("convert", total, quiet)) {
                results = DiffusionConvertService.convert(request, progress);
            }
        }
        for (ComponentResult c : results) {
            if (!c.converted()) {
                out.printf("%s: left out: %s%n", c.component(), c.skipReason());
                continue;
            }
            if (dryRun) {
                out.printf("%s -> %s (general.architecture = %s, for %s)%n", c.source(), c.output(),
                        c.plan().architecture(), c.plan().target().cliName());
                PlanPrinter.print(out, c.plan().plan());
            } else if (!quiet) {
                out.printf(Locale.ROOT, "wrote %s: %s for %s, %d tensors, %s -> %s in %.2f s%n", c.output(),
                        c.plan().architecture(), c.plan().target().cliName(), c.plan().plan().jobs().size(),
                        Footprint.humanBytes(c.plan().plan().sourceBytes()),
                        Footprint.humanBytes(c.plan().plan().targetBytes()), c.elapsed().toNanos() / 1e9);
            }
            if (!quiet || dryRun) {
                c.plan().notes().forEach(n -> out.printf("  note: %s%n", n));
            }
            if (report && !dryRun) {
                VerifyReport r = VerifyService.verify(c.source(), c.output());
                ReportPrinter.printText(out, r, Double.NaN);
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
