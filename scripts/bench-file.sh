#!/usr/bin/env bash
# Whole-file benchmark: weightcast quantize vs llama.cpp's llama_model_quantize (the peer's libllama through FFM)
# on the same synthetic F16 llama GGUF (>= 1 GB), each run in its own JVM process, for each ftype and thread count.
# Prints a Markdown table (seconds, peak RSS from /proc/self/status VmHWM) and whether the outputs are identical.
# Usage: scripts/bench-file.sh [--layers N (default 10, ~1.2 GB)] [--types Q8_0,Q6_K,Q4_K_M] [--threads 1,2]
#        [--dir DIR (default target/bench-file)]
# Set BENCH_SKIP_BUILD=1 to reuse benchmarks/target/weightcast-bench.jar; BENCH_JAVA_OPTS for extra JVM flags;
# JAVA (a java binary) and BENCH_JAR (the jar) to run without a JDK or Maven, as in scripts/bench-bundle.sh's bundle.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# In a bundle (scripts/bench-bundle.sh) JAVA names the java binary and BENCH_JAR the jar: no JDK, no build.
if [ -n "${JAVA:-}" ]; then
  java_bin=$JAVA
else
  . scripts/find-java.sh
  java_bin="$JAVA_HOME/bin/java"
fi
layers=10; types=Q8_0,Q6_K,Q4_K_M; threads=1,2; dir="$root/target/bench-file"
while [ $# -gt 0 ]; do
  case "$1" in
    --layers) layers=$2; shift 2;;
    --types) types=$2; shift 2;;
    --threads) threads=$2; shift 2;;
    --dir) dir=$2; shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
jar="${BENCH_JAR:-$root/benchmarks/target/weightcast-bench.jar}"
if [ -z "${BENCH_JAR:-}" ] && { [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$jar" ]; }; then
  echo "bench-file: building (./mvnw -q -DskipTests -pl benchmarks -am package)..." >&2
  ./mvnw -q -B -DskipTests -pl benchmarks -am package >&2
fi
if [ ! -f "${WEIGHTCAST_PEER_DIR:-$root/.peer/lib}/libllama.v0.5.0.so" ]; then
  scripts/fetch-peer.sh >&2 || { echo "bench-file: cannot fetch the peer (needs npm and network once)" >&2; exit 2; }
fi
run() {
  "$java_bin" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx2g \
    -XX:+UseParallelGC -Dweightcast.repo.root="$root" ${BENCH_JAVA_OPTS:-} -cp "$jar" io.weightcast.bench.FileBenchmark "$@"
}
mkdir -p "$dir"
model="$dir/synthetic-${layers}l-f16.gguf"
[ -f "$model" ] || run make-model "$model" "$layers" >&2
size=$(stat -c %s "$model")
echo "model: $model ($(awk "BEGIN{printf \"%.2f\", $size/1e9}") GB), $(nproc) cores, $(uname -m)"
echo
echo "| ftype | threads | llama.cpp s | weightcast s | speed-up | llama.cpp peak RSS MiB | weightcast peak RSS MiB | same bytes |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
for t in ${types//,/ }; do
  for n in ${threads//,/ }; do
    ref="$dir/llama-$t-$n.gguf"; ours="$dir/ours-$t-$n.gguf"
    l=$(run llama "$model" "$ref" "$t" "$n" 2>/dev/null | grep '^RESULT') || { echo "| $t | $n | failed | | | | | |"; continue; }
    o=$(run ours "$model" "$ours" "$t" "$n" 2>&1 | grep '^RESULT' || true)
    if [ -z "$o" ]; then
      why=$(run ours "$model" "$ours" "$t" "$n" 2>&1 | grep -m1 -iE 'error|exception' | cut -c1-120 || true)
      echo "| $t | $n | $(echo "$l" | awk '{print $5}') | n/a ($why) | | $(echo "$l" | awk '{printf "%.0f", $6/1024}') | | |"
      continue
    fi
    same=$(run compare "$ref" "$ours" | tail -1 | grep -q '^SAME' && echo yes || echo NO)
    echo "$l $o $same" | awk '{printf "| %s | %s | %.2f | %.2f | %.2fx | %.0f | %.0f | %s |\n", $3, $4, $5, $11, $5/$11, $6/1024, $12/1024, $13}'
    rm -f "$ours"
  done
done
