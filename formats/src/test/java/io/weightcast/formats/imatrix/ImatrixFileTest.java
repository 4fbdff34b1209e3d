package io.weightcast.formats.imatrix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weightcast.formats.gguf.GgufMetadata;
import io.weightcast.formats.gguf.GgufValue;
import io.weightcast.formats.gguf.GgufWriter;
import io.weightcast.formats.gguf.WriterOptions;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.MalformedFileException;
import io.weightcast.formats.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImatrixFileTest {
    @TempDir
    Path dir;

    static byte[] legacy(boolean trailer, Object... entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(entries.length / 3);
        for (int i = 0; i < entries.length; i += 3) {
            byte[] name = ((String) entries[i]).getBytes(StandardCharsets.UTF_8);
            b.putInt(name.length).put(name).putInt((Integer) entries[i + 1]);
            float[] v = (float[]) entries[i + 2];
            b.putInt(v.length);
            for (float f : v) {
                b.putFloat(f);
            }
        }
        if (trailer) {
            byte[] ds = "wiki.train.raw".getBytes(StandardCharsets.UTF_8);
            b.putInt(100).putInt(ds.length).put(ds);
        }
        out.write(b.array(), 0, b.position());
        return out.toByteArray();
    }

    @Test
    void legacyDatIsReadAndDividedByNcall() throws Exception {
        Path f = dir.resolve("imatrix.dat");
        Files.write(f, legacy(true, "blk.0.attn_q.weight", 4, new float[] {4, 8, 12, 16}, "output.weight", 0,
                new float[] {2, 3}));
        ImatrixFile raw = ImatrixFile.read(f);
        assertTrue(raw.legacy());
        assertEquals(100, raw.chunkCount());
        assertEquals(List.of("wiki.train.raw"), raw.datasets());
        ImportanceMatrix m = ImportanceMatrix.from(raw);
        assertArrayEquals(new float[] {1, 2, 3, 4}, m.get("blk.0.attn_q.weight").orElseThrow());
        assertArrayEquals(new float[] {2, 3}, m.get("output.weight").orElseThrow(), "ncall 0: kept");
        assertEquals(List.of("output.weight"), List.copyOf(m.filter(List.of(), List.of("attn")).weights().keySet()));
        assertEquals(List.of("output.weight"), List.copyOf(m.filter(List.of("output"), List.of()).weights().keySet()));
        Files.write(f, legacy(false, "a", 1, new float[] {5}));
        assertEquals(0, ImatrixFile.read(f).chunkCount());
    }

    @Test
    void legacyErrorsNameEntryAndOffset() throws Exception {
        Path f = dir.resolve("bad.dat");
        byte[] ok = legacy(false, "blk.0.attn_q.weight", 1, new float[] {1, 2, 3, 4});
        Files.write(f, Arrays.copyOf(ok, ok.length - 3));
        var e = assertThrows(MalformedFileException.class, () -> ImatrixFile.read(f));
        assertTrue(e.getMessage().contains("entry 0 of 1") && e.getMessage().contains("truncated"), e.getMessage());
        Files.write(f, new byte[] {0, 0, 0, 0});
        assertTrue(assertThrows(MalformedFileException.class, () -> ImatrixFile.read(f)).getMessage()
                .contains("no data"));
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(1 << 30);
        Files.write(f, b.array());
        assertTrue(assertThrows(MalformedFileException.class, () -> ImatrixFile.read(f)).getMessage()
                .contains("byte offset 4"));
    }

    private Path gguf(boolean withCounts, boolean withKeys) throws Exception {
        Path f = dir.resolve("imatrix.gguf");
        GgufMetadata kv = new GgufMetadata();
        kv.putString("general.type", "imatrix");
        if (withKeys) {
            kv.put("imatrix.datasets", GgufValue.stringArray(List.of("calib.txt")));
            kv.putUint32("imatrix.chunk_count", 3);
            kv.putUint32("imatrix.chunk_size", 512);
        }
        var specs = new java.util.ArrayList<TensorSpec>();
        specs.add(new TensorSpec("blk.0.ffn_down_exps.weight.in_sum2", new long[] {2, 4}, DType.F32));
        if (withCounts) {
            specs.add(new TensorSpec("blk.0.ffn_down_exps.weight.counts", new long[] {2, 1}, DType.F32));
        }
        try (GgufWriter w = GgufWriter.create(f, kv, specs, WriterOptions.defaults())) {
            w.write(floats(2, 4, 6, 8, 1, 1, 1, 1));
            if (withCounts) {
                w.write(floats(2, 0));
            }
            w.commit();
        }
        return f;
    }

    private static MemorySegment floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return MemorySegment.ofArray(b.array());
    }

    @Test
    void ggufImatrixDividesPerExpertAndZeroCountGivesOne() throws Exception {
        ImportanceMatrix m = ImportanceMatrix.read(gguf(true, true));
        assertArrayEquals(new float[] {1, 2, 3, 4, 1, 1, 1, 1}, m.get("blk.0.ffn_down_exps.weight").orElseThrow());
        assertEquals(3, m.chunkCount());
        assertEquals(List.of("calib.txt"), m.datasets());
    }

    @Test
    void ggufImatrixErrors() throws Exception {
        Path noCounts = gguf(false, true);
        assertTrue(assertThrows(MalformedFileException.class, () -> ImatrixFile.read(noCounts)).getMessage()
                .contains("no matching blk.0.ffn_down_exps.weight.counts"));
        Path noKeys = gguf(true, false);
        assertTrue(assertThrows(MalformedFileException.class, () -> ImatrixFile.read(noKeys)).getMessage()
                .contains("missing imatrix metadata key imatrix.datasets"));
    }
}
