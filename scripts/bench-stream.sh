#!/usr/bin/env bash
# Streaming proof: writes a synthetic Flux-shaped safetensors checkpoint of SIZE GiB (BF16, generated streaming),
# converts it to Q8_0 GGUF with a small Java heap, and reports the conversion's wall time, throughput and peak
# memory: VmHWM (peak RSS, which counts the pages of the memory-mapped input the kernel keeps resident), and the
# peaks of RssAnon (heap + native buffers: what the process itself allocates) and RssFile (mapped file pages,
# reclaimable page cache), sampled from /proc every 50 ms. The files are deleted afterwards.
# Usage: scripts/bench-stream.sh [SIZE_GIB...]   (default: 1 4)
# Env: BENCH_DIR (default target/bench-stream), BENCH_XMX (default 256m), BENCH_TYPE (default q8_0),
#      BENCH_THREADS (default: all cores), BENCH_SKIP_BUILD=1 to reuse the jars, BENCH_KEEP=1 to keep the files.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/find-java.sh
dir=${BENCH_DIR:-$root/target/bench-stream}
xmx=${BENCH_XMX:-256m}
type=${BENCH_TYPE:-q8_0}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 4)
cli="$root/converter-cli/target/weightcast.jar"
bench="$root/benchmarks/target/weightcast-bench.jar"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$cli" ] || [ ! -f "$bench" ]; then
  echo "bench-stream: building (./mvnw -q -DskipTests -pl converter-cli,benchmarks -am package)..." >&2
  ./mvnw -q -B -o -DskipTests -pl converter-cli,benchmarks -am package >&2
fi
mkdir -p "$dir"
java=("$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED
      -XX:+UseParallelGC "-Xmx$xmx")
threads=()
[ -z "${BENCH_THREADS:-}" ] || threads=(--threads "$BENCH_THREADS")

kib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
echo "| checkpoint | tensors | output ($type) | wall time | throughput | peak RSS (VmHWM) | peak RssAnon | peak RssFile | -Xmx |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for gib in "${sizes[@]}"; do
  in="$dir/synthetic-${gib}g.safetensors"
  out="$dir/synthetic-${gib}g-$type.gguf"
  rm -f "$in" "$out"
  "${java[@]}" -cp "$bench" io.weightcast.bench.SyntheticCheckpoint "$in" --gib "$gib" >&2
  sync
  inbytes=$(stat -c %s "$in")
  start=$(date +%s.%N)
  "${java[@]}" -jar "$cli" convert "$in" -o "$out" --type "$type" -q "${threads[@]}" &
  pid=$!
  hwm=0 anon=0 file=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ -r "/proc/$pid/status" ]; then
      read -r h a f < <(awk '/^VmHWM:/{h=$2} /^RssAnon:/{a=$2} /^RssFile:/{f=$2} END{print h+0, a+0, f+0}' \
        "/proc/$pid/status" 2>/dev/null || echo "0 0 0")
      [ "$h" -gt "$hwm" ] && hwm=$h
      [ "$a" -gt "$anon" ] && anon=$a
      [ "$f" -gt "$file" ] && file=$f
    fi
    sleep 0.05
  done
  wait "$pid"
  end=$(date +%s.%N)
  outbytes=$(stat -c %s "$out")
  ntensors=$(python3 -c "import json,struct,sys; f=open('$in','rb'); n=struct.unpack('<Q', f.read(8))[0]; \
print(len([k for k in json.loads(f.read(n)) if k != '__metadata__']))" 2>/dev/null || echo "?")
  awk -v i="$inbytes" -v o="$outbytes" -v s="$start" -v e="$end" -v n="$ntensors" -v h="$(kib $hwm)" \
      -v a="$(kib $anon)" -v f="$(kib $file)" -v x="$xmx" 'BEGIN {
    t = e - s; printf "| %.2f GiB | %s | %.2f GiB | %.1f s | %.0f MiB/s | %s | %s | %s | %s |\n",
      i / 2^30, n, o / 2^30, t, i / 2^20 / t, h, a, f, x }'
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$in" "$out"
done
