package io.weightcast.core.engine;

import io.weightcast.formats.tensor.TensorSink;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A sink that keeps everything written, in order, for assertions. */
final class CollectingSink implements TensorSink {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int writes;
    boolean committed;

    @Override
    public void write(MemorySegment segment) {
        bytes.writeBytes(segment.toArray(ValueLayout.JAVA_BYTE));
        writes++;
    }

    @Override
    public void commit() {
        committed = true;
    }

    @Override
    public void close() {
    }
}
