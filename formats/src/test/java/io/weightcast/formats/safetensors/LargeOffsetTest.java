package io.weightcast.formats.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MappedFile;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tensor that straddles byte 2^31, in a sparse file (RandomAccessFile.setLength leaves the 2 GiB of padding
 * unallocated), so that the int-sized-ByteBuffer trap is tested without writing gigabytes.
 */
class LargeOffsetTest {
    @TempDir
    Path dir;

    @Test
    void tensorAcrossTheTwoGibBoundaryReads() throws IOException {
        long boundary = 1L << 31;
        String probe = header(0);
        long dataStart = 8 + probe.length();
        long pad = boundary - 8 - dataStart; // x starts 8 bytes before 2^31 and ends 8 bytes after it
        String json = header(pad);
        assertThat((long) json.length()).isEqualTo(probe.length()); // same digits, so the same data start
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer head = ByteBuffer.allocate(8 + json.length()).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(json.length()).put(json.getBytes(StandardCharsets.US_ASCII));
            raf.write(head.array());
            raf.setLength(dataStart + pad + 16);
            raf.seek(dataStart + pad);
            ByteBuffer x = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            x.putFloat(1f).putFloat(-2f).putFloat(3.5f).putFloat(1e30f);
            raf.write(x.array());
        }
        try (SafetensorsModel m = SafetensorsReader.open(file)) {
            TensorView x = m.tensor("x").orElseThrow();
            assertThat(x.fileOffset()).isEqualTo(boundary - 8);
            assertThat(x.dtype()).isEqualTo(DType.F32);
            float[] values = new float[4];
            for (int i = 0; i < 4; i++) {
                values[i] = x.data().get(MappedFile.F32, 4L * i);
            }
            assertThat(values).containsExactly(1f, -2f, 3.5f, 1e30f);
            assertThat(m.tensor("pad").orElseThrow().byteSize()).isEqualTo(pad);
        }
    }

    /** Offsets padded to 10 digits so that the header length does not depend on them. */
    private static String header(long pad) {
        return String.format("{\"pad\":{\"dtype\":\"U8\",\"shape\":[%010d],\"data_offsets\":[0,%010d]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[%010d,%010d]}}", pad, pad, pad, pad + 16);
    }
}
