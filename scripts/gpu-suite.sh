#!/usr/bin/env bash
# The GPU suite: ONE command on the NVIDIA machine (H100/H200, driver only: no Java, Maven or network there).
# Runs the GPU test classes (GPU vs scalar bytes for every CUDA codec, engine on GPU vs CPU) and then the GPU
# benchmark (kernel GB/s vs the card's bandwidth, host pipeline, end-to-end conversion of a >= 4 GB synthetic
# model on GPU vs CPU), and writes everything to OUTDIR:
#
#   here:          scripts/gpu-bundle.sh                       # builds .gpu-bundle/ (jlink'ed JRE + jars), < 60 MB
#   GPU machine:   bash .gpu-bundle/gpu-suite.sh [OUTDIR] [GpuBenchmark args...]
#                  (with the device tool: run with carry [".gpu-bundle"]; OUTDIR defaults to $OUT)
#
# OUTDIR gets: nvidia-smi.txt, gpu-tests.log (JUnit tree), junit/TEST-junit-jupiter.xml, gpu-bench.md (the report),
# gpu-bench.log, gpu-quantize.md (llama-quantize Q4_K_M end to end, GpuQuantizeBenchmark). Exit status: that of the tests (the benchmark runs either way).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$here/bundle.tar.xz" ] || [ -x "$here/jre/bin/java" ]; then packed="$here"; else packed="$(cd "$here/.." && pwd)/.gpu-bundle"; fi
if [ -f "$packed/bundle.tar.xz" ]; then
    bundle="${TMPDIR:-/tmp}/weightcast-gpu-bundle"
    rm -rf "$bundle" && mkdir -p "$bundle"
    if command -v xz > /dev/null; then
        tar -C "$bundle" -xJf "$packed/bundle.tar.xz" || exit 3
    else
        python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
            "$packed/bundle.tar.xz" "$bundle" || exit 3
    fi
else
    bundle="$packed"
fi
out="${1:-${OUT:-$packed/results}}"
shift || true
mkdir -p "$out/junit"
java="$bundle/jre/bin/java"
flags=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
cp="$(ls "$bundle"/lib/*.jar | tr '\n' ':')"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed" >> "$out/nvidia-smi.txt"
echo "bundle $(cat "$bundle/COMMIT" 2>/dev/null) on $(hostname), $(nproc) cores" | tee "$out/gpu-tests.log"

# (WC_SKIP_TESTS=1 skips the tests, for a benchmark-only run.)
tests=0
if [ "${WC_SKIP_TESTS:-0}" != 1 ]; then
    "$java" "${flags[@]}" -Xmx16g -jar "$bundle/junit-platform-console-standalone.jar" execute \
        --class-path "$cp" \
        --select-class io.weightcast.core.conformance.CudaScalarConformanceTest \
        --select-class io.weightcast.core.conformance.CudaBnb4BitConformanceTest \
        --select-class io.weightcast.core.conformance.CudaFp8BlockConformanceTest \
        --select-class io.weightcast.core.conformance.CudaCompressedTensorsConformanceTest \
        --select-class io.weightcast.core.layout.GpuQuantizeServiceTest \
        --select-class io.weightcast.core.conformance.CudaBnbInt8ConformanceTest \
        --select-class io.weightcast.core.layout.CudaBnbLayoutTest \
        --select-class io.weightcast.core.engine.GpuEngineTest \
        --select-class io.weightcast.core.layout.CudaHfDecodeTest \
        --details=tree --disable-banner --disable-ansi-colors --reports-dir "$out/junit" 2>&1 | tee -a "$out/gpu-tests.log"
    tests=${PIPESTATUS[0]}
fi

"$java" "${flags[@]}" -Xmx24g -cp "$cp" io.weightcast.bench.GpuBenchmark --out "$out/gpu-bench.md" \
    --workdir "${WC_BENCH_DIR:-/tmp/weightcast-gpu-bench}" "$@" 2>&1 | tee "$out/gpu-bench.log"
# llama-quantize end to end (Q4_K_M with and without an imatrix, 4.2 GB synthetic llama) on the GPU(s) vs the CPU.
# (WC_SKIP_QUANTIZE=1 skips it, for a quick kernel-only run.)
if [ "${WC_SKIP_QUANTIZE:-0}" != 1 ]; then
    "$java" "${flags[@]}" -Xmx24g -cp "$cp" io.weightcast.bench.GpuQuantizeBenchmark --out "$out/gpu-quantize.md" \
        --workdir "${WC_BENCH_DIR:-/tmp/weightcast-gpu-bench}" ${WC_QUANTIZE_ARGS:-} 2>&1 | tee "$out/gpu-quantize.log"
fi
echo "tests exit status: $tests" | tee -a "$out/gpu-tests.log"
exit "$tests"
