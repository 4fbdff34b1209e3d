package io.weightcast.core.plan;

import io.weightcast.formats.tensor.TensorView;

/** A tensor that cannot be written in the requested output; the message names the tensor and its file. */
public final class UnsupportedTargetException extends RuntimeException {
    public UnsupportedTargetException(TensorView tensor, String problem) {
        super(tensor.file() + ": tensor '" + tensor.name() + "': " + problem);
    }
}
