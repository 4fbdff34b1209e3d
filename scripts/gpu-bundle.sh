#!/usr/bin/env bash
# Builds the self-contained GPU bundle (git-ignored) that travels to the GPU machine, where there is no Java,
# no Maven and no network:
#
#   scripts/gpu-bundle.sh [DEST]          # DEST defaults to .gpu-bundle in the repository root
#
# DEST holds gpu-suite.sh and bundle.tar.xz (about 22 MB, so that it and the repository fit the device tool's
# 64 MiB transfer), which gpu-suite.sh unpacks on the GPU machine; the unpacked tree, also kept here in
# target/gpu-bundle, is:
#
#   jre/        a jlink'ed Java 25 runtime (java.base, jdk.incubator.vector, java.logging, jdk.unsupported,
#                    java.xml, java.sql), without debug symbols, man pages or headers
#   lib/        converter-core, formats, the benchmark classes, the converter-core test classes, JCuda
#                    (natives jar cut down to libJCudaDriver, which needs only the driver's libcuda.so.1),
#                    Jackson and AssertJ
#   junit-platform-console-standalone.jar   runs the GPU test classes without Maven
#   gpu-suite.sh                            the one command to run there (see that script)
#
# Then, on the GPU machine: bash DEST/gpu-suite.sh [OUTDIR]   (OUTDIR defaults to $OUT, else DEST/results)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$(realpath -m "${1:-$root/.gpu-bundle}")"
tree="$root/target/gpu-bundle"
# shellcheck source=find-java.sh
. "$root/scripts/find-java.sh"
cd "$root"
junit_version=6.1.3
console="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$junit_version/junit-platform-console-standalone-$junit_version.jar"
if [ ! -f "$console" ]; then
    ./mvnw -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_version
fi
./mvnw -q -DskipTests -pl converter-core,benchmarks -am package dependency:build-classpath \
    -Dmdep.outputFile=target/gpu-classpath.txt -Dmdep.includeScope=test

rm -rf "$tree" "$dest"
mkdir -p "$tree/lib" "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for jar in $(tr ':' '\n' < converter-core/target/gpu-classpath.txt); do
    case "$(basename "$jar")" in
        junit-*|opentest4j-*|apiguardian-*|jspecify-*|testdata-*|byte-buddy-*) ;; # in the console jar / not needed
        jcuda-natives-*)
            mkdir -p "$tmp/natives/lib"
            unzip -q -j "$jar" 'lib/libJCudaDriver-*' -d "$tmp/natives/lib"
            "$JAVA_HOME/bin/jar" --create --file "$tree/lib/jcuda-natives-driver-only.jar" -C "$tmp/natives" lib ;;
        *) cp "$jar" "$tree/lib/" ;;
    esac
done
cp converter-core/target/converter-core-*.jar "$tree/lib/"
"$JAVA_HOME/bin/jar" --create --file "$tree/lib/weightcast-bench-classes.jar" -C benchmarks/target/classes .
"$JAVA_HOME/bin/jar" --create --file "$tree/lib/converter-core-tests.jar" -C converter-core/target/test-classes .
# the testdata helpers the GPU tests use (SharedTestData, fixtures lookup), without the 17 MB of golden vectors
"$JAVA_HOME/bin/jar" --create --file "$tree/lib/testdata-classes.jar" -C testdata/target/classes io
cp "$console" "$tree/junit-platform-console-standalone.jar"
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,jdk.unsupported,java.xml,java.sql \
    --strip-debug --no-man-pages --no-header-files --compress=zip-0 --output "$tree/jre"
# libjvm's symbol table is not needed to run (saves 5 MB); modules stay uncompressed in the image because xz
# over the whole tree packs them far better than jlink's per-entry zip (the packed bundle is ~22 MB, not ~35).
strip --strip-unneeded "$tree/jre/lib/server/libjvm.so" 2>/dev/null || true
cp scripts/gpu-suite.sh "$tree/gpu-suite.sh"
git -C "$root" rev-parse --short HEAD > "$tree/COMMIT" 2>/dev/null || true
cp "$tree/gpu-suite.sh" "$tree/COMMIT" "$dest/"
chmod +x "$dest/gpu-suite.sh"
tar -C "$tree" -cf - jre lib junit-platform-console-standalone.jar COMMIT | xz -6 -T2 > "$dest/bundle.tar.xz"
du -sh "$tree" "$dest"
