#!/usr/bin/env bash
# Side-by-side codec benchmark: every weightcast GGUF codec (F16…Q5_1, Q2_K…Q6_K, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4;
# with and without an imatrix where ggml takes one) against ggml's quantizer and
# dequantizer (llama.cpp's libggml-base.so from npm, through FFM), single thread, same input, identical bytes
# checked. Prints a Markdown table; exits non-zero on a byte or float mismatch.
# Usage: scripts/bench.sh [--elements N] [--rounds R] [--warmup W] [--types Q8_0,Q4_0] [--impl best|scalar|vector|all] [--no-imatrix]
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
echo "bench: using $java_bin" >&2
jar="${BENCH_JAR:-$root/benchmarks/target/weightcast-bench.jar}"
if [ -z "${BENCH_JAR:-}" ] && { [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$jar" ]; }; then
  echo "bench: building (./mvnw -q -DskipTests -pl benchmarks -am package)..." >&2
  ./mvnw -q -B -DskipTests -pl benchmarks -am package >&2
fi
if [ ! -f "${WEIGHTCAST_PEER_DIR:-$root/.peer/lib}/libggml-base.so" ]; then
  scripts/fetch-peer.sh >&2 || { echo "bench: cannot fetch the peer (needs npm and network once)" >&2; exit 2; }
fi
exec "$java_bin" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Xms1g -Xmx2g -XX:+UseParallelGC -Dweightcast.repo.root="$root" ${BENCH_JAVA_OPTS:-} \
  -jar "$jar" "$@"
