#!/usr/bin/env bash
# Regenerates the PTX resources of the CUDA backend from converter-core/src/main/cuda/*.cu.
#
#   scripts/build-ptx.sh            # needs nvcc (CUDA 12 or 13) on PATH or at /usr/local/bin/nvcc
#
# Each .cu becomes converter-core/src/main/resources/io/weightcast/core/codec/cuda/<name>.ptx, compiled for
# compute_75 (the oldest target CUDA 13 accepts; the driver JIT-compiles the PTX for newer GPUs) with
# -fmad=false, so the GPU does the same IEEE operations as the scalar Java references (no fused multiply-add).
# The first line of every .ptx records the sha256 of its sources (the .cu followed by every .cuh of the folder,
# in name order); CudaPtxFreshnessTest recomputes it and fails when a source changed but its PTX did not.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/converter-core/src/main/cuda"
out="$root/converter-core/src/main/resources/io/weightcast/core/codec/cuda"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/bin/nvcc)}"
mkdir -p "$out"
for cu in "$src"/*.cu; do
    name="$(basename "$cu" .cu)"
    hash="$(cat "$cu" $(ls "$src"/*.cuh | LC_ALL=C sort) | sha256sum | cut -d' ' -f1)"
    tmp="$(mktemp)"
    "$nvcc" -ptx -arch=compute_75 -fmad=false -prec-div=true -prec-sqrt=true -ftz=false -O3 \
        -I "$src" -o "$tmp" "$cu"
    { echo "// weightcast-source-sha256: $hash"; grep -v '^//' "$tmp" | sed '/^\s*$/N;/^\s*\n$/D'; } > "$out/$name.ptx"
    rm -f "$tmp"
    echo "$out/$name.ptx ($hash)"
done
