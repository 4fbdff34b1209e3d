package io.weightcast.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.weightcast.core.job.VerifyService;
import io.weightcast.core.verify.VerifyReport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {
            "Compares a candidate model with its reference tensor by tensor (matched by name), in any formats:",
            "relative RMSE sqrt(sum((r-c)^2)/sum(r^2)), max absolute error and cosine similarity.",
            "",
            "Exit code 1 when a tensor's relative RMSE exceeds --max-rel-rmse or a tensor is missing from the",
            "candidate, so CI pipelines can gate on it.",
            "",
            "Example:",
            "  weightcast verify ./hf-model model-q8_0.gguf --max-rel-rmse 0.01",
            ""})
final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "REFERENCE", description = "the original model")
    Path reference;

    @Parameters(index = "1", paramLabel = "CANDIDATE", description = "the converted model")
    Path candidate;

    @Option(names = "--max-rel-rmse", paramLabel = "X",
            description = "fail (exit 1) when any tensor's relative RMSE is above X (default: no bound)")
    Double maxRelRmse;

    @Option(names = "--json", description = "print the report as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (maxRelRmse != null && !(maxRelRmse >= 0)) {
            throw new UserInputException("--max-rel-rmse must be a non-negative number, got " + maxRelRmse);
        }
        VerifyReport report = VerifyService.verify(reference, candidate);
        double bound = maxRelRmse == null ? Double.NaN : maxRelRmse;
        var out = spec.commandLine().getOut();
        boolean failed = !report.onlyInReference().isEmpty()
                || (maxRelRmse != null && !report.exceeding(maxRelRmse).isEmpty());
        if (json) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            out.println(mapper.writeValueAsString(ReportPrinter.json(report, bound, !failed)));
        } else {
            ReportPrinter.printText(out, report, bound);
        }
        out.flush();
        return failed ? ExitCodes.VERIFY_FAILED : ExitCodes.OK;
    }
}
