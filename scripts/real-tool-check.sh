#!/usr/bin/env bash
# Runs scripts/real-tool-check.py on the GPU machine against a folder made by make-real-tool-fixtures.sh.
#   scripts/real-tool-check.sh FIXTURE_DIR            # summary.json / summary.md go to $OUT (or ./real-tool-out)
# Needs python3 with torch, transformers, safetensors, numpy; bitsandbytes, compressed-tensors and gguf are
# optional (their checks are skipped, naming the missing package). Nothing is downloaded.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:?usage: $0 FIXTURE_DIR}"
out="${OUT:-$PWD/real-tool-out}"
mkdir -p "$out"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
py="$here/real-tool-check.py"
[ -f "$py" ] || py="$dir/real-tool-check.py"
{ nvidia-smi -L 2>&1 || echo "no nvidia-smi"; } | tee "$out/gpu.txt"
python3 "$py" --dir "$dir" --out "$out" 2>&1 | tee "$out/log.txt"
exit "${PIPESTATUS[0]}"
