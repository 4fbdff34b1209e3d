#!/usr/bin/env bash
# Runs every test of weightcast. Does its own set-up on a fresh machine: finds a JDK >= 25, fetches the peer
# (llama.cpp's libraries from npm, for the conformance tests; they are skipped if it cannot be fetched), and lets
# the Maven Wrapper fetch Maven and the dependencies.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
. scripts/find-java.sh
echo "test: using JDK at $JAVA_HOME" >&2
if ! scripts/fetch-peer.sh; then
  echo "test: WARNING: could not fetch the peer libraries; peer conformance tests will be skipped" >&2
fi
exec ./mvnw -B -ntp verify "$@"
