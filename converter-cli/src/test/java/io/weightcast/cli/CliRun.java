package io.weightcast.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the command line in-process and captures what it prints. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(Object... args) {
        String[] a = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            a[i] = String.valueOf(args[i]);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(a);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** The repository root: set by Surefire, or found by walking up to the folder holding mvnw. */
    static Path repoRoot() {
        String prop = System.getProperty("weightcast.repo.root");
        if (prop != null && Files.exists(Path.of(prop, "mvnw"))) {
            return Path.of(prop);
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("mvnw"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    static Path sampleModel() {
        return repoRoot().resolve("testdata/sample/tiny-llama-f32");
    }
}
