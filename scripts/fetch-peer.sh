#!/usr/bin/env bash
# Fetches the peer: llama.cpp's shared libraries as shipped in npm @node-llama-cpp/linux-x64@3.22.1
# (llama.cpp 0ad4a86, x86-64 baseline build without FMA). Tests and benchmarks load libggml-base.so from
# .peer/lib through FFM; when it is absent, the peer conformance tests are skipped and the golden vectors
# in testdata/ still check the bytes. Idempotent; safe to run offline once fetched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.peer"
pkg="@node-llama-cpp/linux-x64@3.22.1"
if [ -f "$dest/lib/libggml-base.so" ]; then
  echo "peer already present: $dest/lib"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-peer: npm not found; install Node.js/npm to run the peer tests" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
mkdir -p "$dest.partial/lib"
cp -a "$tmp/package/bins/linux-x64/." "$dest.partial/lib/"
rm -rf "$dest" && mv "$dest.partial" "$dest"
echo "peer fetched: $dest/lib"
