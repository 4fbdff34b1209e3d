package io.weightcast.cli;

import io.weightcast.core.engine.ProgressListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on stderr while a long job runs; silent when stderr is not a terminal (pipes, CI logs). */
final class Progress implements ProgressListener, AutoCloseable {
    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    static Progress start(String task, long totalBytes, boolean quiet) {
        if (quiet || System.console() == null || !System.console().isTerminal()) {
            return new Progress(null);
        }
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(1, totalBytes >> 20))
                .setUnit(" MiB", 1).setStyle(ProgressBarStyle.ASCII).setConsumer(
                        new me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer(System.err))
                .showSpeed().build();
        return new Progress(bar);
    }

    @Override
    public void progress(String tensor, long done, long total) {
        if (bar != null) {
            bar.stepTo(done >> 20);
            bar.setExtraMessage(tensor.length() > 40 ? "…" + tensor.substring(tensor.length() - 39) : tensor);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
