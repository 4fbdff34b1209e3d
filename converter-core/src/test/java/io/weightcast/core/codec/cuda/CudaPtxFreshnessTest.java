package io.weightcast.core.codec.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere (no GPU needed): every {@code .cu} under {@code converter-core/src/main/cuda} has a PTX resource
 * whose first line records the sha256 of the sources it was compiled from (the {@code .cu}, then every
 * {@code .cuh} of the folder in name order), as {@code scripts/build-ptx.sh} writes it. A source edited without
 * re-running the script fails here, naming the file and the command.
 */
class CudaPtxFreshnessTest {

    private static final Path ROOT = Path.of(System.getProperty("weightcast.repo.root", "..")).toAbsolutePath();
    private static final Path CUDA = ROOT.resolve("converter-core/src/main/cuda");
    private static final String HEADER = "// weightcast-source-sha256: ";

    @Test
    void everyPtxMatchesItsSources() throws Exception {
        List<Path> cuFiles = list(".cu");
        assertThat(cuFiles).as("CUDA sources in " + CUDA).isNotEmpty();
        List<Path> headers = list(".cuh");
        for (Path cu : cuFiles) {
            String module = cu.getFileName().toString().replaceFirst("\\.cu$", "");
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(cu));
            for (Path h : headers) {
                sha.update(Files.readAllBytes(h));
            }
            String expected = HexFormat.of().formatHex(sha.digest());
            String first = new String(CudaKernels.ptxText(module), StandardCharsets.UTF_8).lines().findFirst()
                    .orElse("");
            assertThat(first)
                    .as("%s.ptx is stale or was not generated from %s: run scripts/build-ptx.sh", module,
                            ROOT.relativize(cu))
                    .isEqualTo(HEADER + expected);
        }
    }

    @Test
    void everyModuleHasASourceAndEveryKernelIsInItsPtx() throws IOException, NoSuchAlgorithmException {
        List<String> modules = list(".cu").stream()
                .map(p -> p.getFileName().toString().replaceFirst("\\.cu$", "")).toList();
        assertThat(modules).containsExactlyInAnyOrderElementsOf(CudaKernels.MODULES);
        for (var t : CudaKernels.types()) {
            var spec = CudaKernels.spec(t);
            var kernels = new java.util.ArrayList<>(spec.encoders().values());
            kernels.add(spec.decode());
            for (var k : kernels) {
                String ptx = new String(CudaKernels.ptxText(k.module()), StandardCharsets.UTF_8);
                assertThat(ptx).as("%s in %s.ptx", k.function(), k.module())
                        .contains(".visible .entry " + k.function() + "(");
                // -fmad=false: no fused multiply-add anywhere, or the GPU would round differently from Java
                assertThat(ptx).as("%s.ptx must be compiled with -fmad=false", k.module()).doesNotContain("fma.");
            }
        }
    }

    @Test
    void ptxIsNulTerminatedForTheDriver() {
        for (String m : CudaKernels.MODULES) {
            byte[] z = CudaKernels.ptx(m);
            assertThat(z[z.length - 1]).isZero();
            assertThat(z.length).isEqualTo(CudaKernels.ptxText(m).length + 1);
        }
    }

    private static List<Path> list(String ext) throws IOException {
        try (Stream<Path> s = Files.list(CUDA)) {
            return s.filter(p -> p.getFileName().toString().endsWith(ext)).sorted().toList();
        }
    }
}
