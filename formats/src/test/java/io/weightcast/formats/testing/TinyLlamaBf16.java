package io.weightcast.formats.testing;

import io.weightcast.formats.ModelFiles;
import io.weightcast.formats.safetensors.SafetensorsWriter;
import io.weightcast.formats.tensor.DType;
import io.weightcast.formats.tensor.ModelFile;
import io.weightcast.formats.tensor.TensorSpec;
import io.weightcast.formats.tensor.TensorView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The {@code tiny-llama-bf16} checkpoint without its 4 MB weight file in the repository: transformers wrote it as the
 * bundled f32 sample ({@code testdata/sample/tiny-llama-f32}) cast to bfloat16 (round to nearest even) in one
 * {@code model.safetensors}, tensors in name order; this makes the same file next to the config files the repository
 * keeps ({@code testdata/fixtures/hf/tiny-llama-bf16}). Tests use transformers' own copy from the shared test data when
 * it is there (and converter-core's {@code HfFixturesTest} checks the two agree).
 */
public final class TinyLlamaBf16 {
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TinyLlamaBf16() {
    }

    /**
     * The checkpoint folder under {@code targetDir} (made once: written to a temporary folder and moved into place, so
     * concurrent test JVMs never see half a file).
     */
    public static synchronized Path make(Path repoRoot, Path targetDir) {
        Path out = targetDir.resolve("tiny-llama-bf16");
        if (Files.exists(out.resolve("model.safetensors"))) {
            return out;
        }
        try {
            Files.createDirectories(targetDir);
            Path tmp = Files.createTempDirectory(targetDir, "tiny-llama-bf16.tmp");
            writeWeights(repoRoot.resolve("testdata/sample/tiny-llama-f32"), tmp.resolve("model.safetensors"));
            try (var files = Files.list(repoRoot.resolve("testdata/fixtures/hf/tiny-llama-bf16"))) {
                for (Path f : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                    Files.copy(f, tmp.resolve(f.getFileName()));
                }
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) { // another JVM made it first: keep theirs
                if (!Files.exists(out.resolve("model.safetensors"))) {
                    throw raced;
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("could not make tiny-llama-bf16 from the bundled sample", e);
        }
    }

    private static void writeWeights(Path f32Folder, Path out) throws IOException {
        try (ModelFile src = ModelFiles.open(f32Folder)) {
            List<TensorView> tensors = new ArrayList<>(src.tensors());
            tensors.sort(Comparator.comparing(TensorView::name));
            List<TensorSpec> specs = tensors.stream().map(t -> new TensorSpec(t.name(), t.shape(), DType.BF16)).toList();
            try (SafetensorsWriter w = SafetensorsWriter.create(out, specs, Map.of("format", "pt"))) {
                for (TensorView t : tensors) {
                    w.write(MemorySegment.ofArray(bf16(t)));
                }
                w.commit();
            }
        }
    }

    /** torch's float32 → bfloat16 cast of a finite tensor: round to nearest even on the upper 16 bits. */
    private static byte[] bf16(TensorView t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(t.name() + " is " + t.dtype() + ", not F32");
        }
        int n = Math.toIntExact(t.elementCount());
        byte[] b = new byte[2 * n];
        for (int i = 0; i < n; i++) {
            int bits = t.data().getAtIndex(LE_INT, i);
            int h = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
            b[2 * i] = (byte) h;
            b[2 * i + 1] = (byte) (h >>> 8);
        }
        return b;
    }
}
