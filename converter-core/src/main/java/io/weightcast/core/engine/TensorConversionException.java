package io.weightcast.core.engine;

import io.weightcast.core.plan.TensorJob;

/** A conversion step failed for one tensor; the message names the tensor, its file and the types involved. */
public final class TensorConversionException extends RuntimeException {

    public TensorConversionException(TensorJob job, RuntimeException cause) {
        super(job.source().file() + ": tensor '" + job.source().name() + "' (" + job.source().dtype() + " -> "
                + job.target().dtype() + "): " + cause.getMessage(), cause);
    }
}
