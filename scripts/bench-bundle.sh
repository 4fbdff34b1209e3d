#!/usr/bin/env bash
# Builds a self-contained benchmark folder: the bench jar, the peer's libraries (llama.cpp from npm), a jlink'ed
# JRE (java.base + the Vector API and the few modules the jar touches), both benchmark scripts and run.sh, so the
# benchmarks run on a machine with neither Maven nor a JDK (copy the folder, then `OUT=/some/dir DIR/run.sh`).
# Usage: scripts/bench-bundle.sh [DIR (default target/bench-bundle)]. Needs a JDK 25 here (jlink) and the peer
# in .peer/lib (scripts/fetch-peer.sh). The folder stays under 64 MB.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dir=${1:-$root/target/bench-bundle}
. scripts/find-java.sh
peer=${WEIGHTCAST_PEER_DIR:-$root/.peer/lib}
[ -f "$peer/libllama.v0.5.0.so" ] || scripts/fetch-peer.sh >&2
jar=$root/benchmarks/target/weightcast-bench.jar
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$jar" ]; then
  echo "bench-bundle: building (./mvnw -q -DskipTests -pl benchmarks -am package)..." >&2
  ./mvnw -q -B ${MVN_OFFLINE:+-o} -DskipTests -pl benchmarks -am package >&2
fi
rm -rf "$dir"
mkdir -p "$dir/lib" "$dir/peer" "$dir/scripts"
cp "$jar" "$dir/lib/"
# The benchmarks never touch the GPU or the test vectors: drop JCuda's natives (24 MB of PTX compiler), the PTX and
# the golden files from the copy so the bundle stays under the device tool's 64 MB.
if command -v zip > /dev/null; then
  zip -q -d "$dir/lib/weightcast-bench.jar" 'lib/*' 'io/weightcast/core/codec/cuda/*.ptx' 'golden/*' 'torch-fp8/*' \
    > /dev/null || true
fi
# The libraries the benchmarks load: libggml-base (ggml_quantize_chunk), libllama + libggml (llama_model_quantize)
# and ggml's CPU backend variants for x86-64 of the last decade (the baseline x64 one too); not the node addon or
# libllama-common. Symbols not needed for dynamic linking are stripped, as from libjvm, to stay under 64 MB.
cp "$peer"/libggml-base.so "$peer"/libggml.v0.5.0.so "$peer"/libllama.v0.5.0.so "$dir/peer/"
for v in x64 haswell skylakex icelake sapphirerapids alderlake zen4; do
  [ -f "$peer/libggml-cpu-$v.so" ] && cp "$peer/libggml-cpu-$v.so" "$dir/peer/"
done
cp scripts/bench.sh scripts/bench-file.sh "$dir/scripts/"
# jdeps lists java.base, jdk.incubator.vector, and java.sql/java.desktop through Jackson's optional handlers,
# which the benchmarks never reach (Jackson checks for them by reflection); the JRE leaves them out.
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,jdk.unsupported,java.management,jdk.management \
  --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$dir/jre"
if command -v strip > /dev/null; then
  strip --strip-unneeded "$dir/jre/lib/server/libjvm.so" "$dir"/peer/*.so
fi
cat > "$dir/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs weightcast's two benchmarks against llama.cpp (bundled peer libraries) and writes the results to $OUT:
#   codec.md  per codec, single thread, ours vs ggml_quantize_chunk / to_float (+ imatrix variants), same bytes
#   file.md   whole file: GGUF F16 (synthetic, >= 1 GB) -> Q8_0/Q6_K/Q4_K_M vs llama_model_quantize, 1 and 2 threads
# Env: OUT (required), JAVA (default: the bundled jre/bin/java), CODEC_ARGS (default: 16.8M elements, 3+7 rounds),
#      FILE_ARGS (default: --layers 10, about 1.2 GB), WORK (scratch for the model files, default $OUT/work).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${OUT:?set OUT to the folder for the results}"
mkdir -p "$OUT"
export JAVA=${JAVA:-$here/jre/bin/java}
export BENCH_JAR=$here/lib/weightcast-bench.jar
export WEIGHTCAST_PEER_DIR=$here/peer
work=${WORK:-$OUT/work}
mkdir -p "$work"
"$JAVA" -version > "$OUT/java-version.txt" 2>&1
echo "codec benchmark -> $OUT/codec.md" >&2
rc=0
"$here/scripts/bench.sh" ${CODEC_ARGS:---elements 16777216 --rounds 7 --warmup 3} > "$OUT/codec.md" 2> "$OUT/codec.log" || rc=$?
echo "file benchmark -> $OUT/file.md" >&2
"$here/scripts/bench-file.sh" --dir "$work" ${FILE_ARGS:---layers 10} > "$OUT/file.md" 2> "$OUT/file.log" || rc=$?
rm -f "$work"/ours-*.gguf "$work"/llama-*.gguf
echo "done (exit $rc); results in $OUT" >&2
exit $rc
RUN
chmod +x "$dir/run.sh" "$dir/scripts/"*.sh
du -sh "$dir" "$dir"/* >&2
size=$(du -sm "$dir" | cut -f1)
[ "$size" -lt 64 ] || { echo "bench-bundle: $dir is $size MB (limit 64)" >&2; exit 1; }
echo "$dir"
