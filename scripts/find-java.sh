# Sourced by ./weightcast, scripts/test.sh and .ci/run: sets JAVA_HOME to a JDK >= 25.
# Order: $JAVA_HOME, then `java` on PATH, then /usr/lib/jvm/* (newest first).
_wc_java_major() {
  # Prints the feature version of the java binary $1 (e.g. 25), or nothing if it does not run.
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}
_wc_pick_java() {
  local candidate major
  for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java 2>/dev/null)" $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV); do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    major=$(_wc_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      # Resolve symlinks (/usr/bin/java -> .../bin/java) so JAVA_HOME is the JDK folder.
      candidate=$(readlink -f "$candidate")
      echo "${candidate%/bin/java}"
      return 0
    fi
  done
  return 1
}
if ! WC_JAVA_HOME=$(_wc_pick_java); then
  echo "weightcast needs a JDK 25 or newer: set JAVA_HOME, put it on PATH, or install one under /usr/lib/jvm" >&2
  echo "(e.g. apt-get install temurin-25-jdk from Adoptium, or any OpenJDK 25 build)" >&2
  exit 1
fi
export JAVA_HOME="$WC_JAVA_HOME"
