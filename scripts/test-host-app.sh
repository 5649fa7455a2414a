#!/usr/bin/env bash
# Installs moec from build/ into a fresh prefix, builds examples/host-app
# against the installed package (find_package(moec)) and the pkg-config file,
# and runs it twice on one fresh cache: the first run compiles, the second
# must compile nothing. Run by ctest (test host-app-installed).
#   scripts/test-host-app.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/moec-host-app.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD" --prefix "$WORK/prefix" > "$WORK/install.log"
cmake -G Ninja -S examples/host-app -B "$WORK/app" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$WORK/prefix" > "$WORK/configure.log" \
  || { cat "$WORK/configure.log"; exit 1; }
cmake --build "$WORK/app" > "$WORK/build.log" || { cat "$WORK/build.log"; exit 1; }
# pkg-config works too (when pkg-config is installed).
if command -v pkg-config > /dev/null; then
  flags=$(PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" pkg-config --cflags --libs moec)
  c++ -std=c++17 examples/host-app/main.cpp $flags -o "$WORK/app-pc" \
    || { echo "FAIL: building host-app with pkg-config's flags: $flags"; exit 1; }
fi
export MOEC_CACHE_DIR="$WORK/cache"
echo "== first run (cold cache, MOEC_TRACE and MOEC_LOG=info)"
MOEC_TRACE="$WORK/trace.json" MOEC_LOG=info "$WORK/app/host-app" host 2> "$WORK/log1.txt" \
  | tee "$WORK/run1.txt"
# The trace is Chrome JSON with compile phases, cache lookups, the
# specialization and launches; the log says where each config came from.
python3 - "$WORK/trace.json" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))
names = {e["name"] for e in events}
cats = {e["cat"] for e in events}
need = {"compile", "outline", "lower", "codegen", "cache lookup", "specialize gemm"}
missing = need - names
assert not missing, "trace lacks %s (has %s)" % (missing, sorted(names))
assert {"compile", "cache", "specialize", "launch"} <= cats, cats
launch = [e for e in events if e["cat"] == "launch"]
assert launch and "M=" in launch[0]["args"]["shape"] and launch[0]["args"]["target"] == "host"
print("trace: %d events, %d launches: OK" % (len(events), len(launch)))
PY
grep -q "config from heuristic" "$WORK/log1.txt" || { echo "FAIL: MOEC_LOG=info said nothing"; cat "$WORK/log1.txt"; exit 1; }
echo "== second run (new process, same cache)"
"$WORK/app/host-app" host | tee "$WORK/run2.txt"
grep -q "this run compiled 0," "$WORK/run2.txt" || { echo "FAIL: the second run compiled"; exit 1; }
grep -q "compiled" "$WORK/run1.txt"
if [ -x "$WORK/app-pc" ]; then
  "$WORK/app-pc" host | tail -1 | grep -q "this run compiled 0," \
    || { echo "FAIL: the pkg-config build compiled again"; exit 1; }
  echo "== pkg-config build: OK"
fi
# moec cache: the entries the runs left, then clear.
MOEC="$BUILD/bin/moec"
"$MOEC" cache list | tee "$WORK/list.txt"
[ "$(wc -l < "$WORK/list.txt")" -ge 1 ] && ! grep -q DAMAGED "$WORK/list.txt" \
  && grep -q "gemm bf16NT bf16 -> f32" "$WORK/list.txt" || { echo "FAIL: moec cache list"; exit 1; }
"$MOEC" cache stats | grep -q "damaged:   0" || { echo "FAIL: moec cache stats"; exit 1; }
# A damaged entry is listed as such, and the next run replaces it.
f=$(ls "$MOEC_CACHE_DIR"/*.moeck | head -1)
truncate -s 100 "$f"
"$MOEC" cache list | grep -q "DAMAGED: truncated" || { echo "FAIL: damage not listed"; exit 1; }
"$WORK/app/host-app" host > "$WORK/run3.txt" 2> "$WORK/log3.txt"
grep -q "is unusable (truncated" "$WORK/log3.txt" || { echo "FAIL: damage not reported"; cat "$WORK/log3.txt"; exit 1; }
grep -q "this run compiled 1," "$WORK/run3.txt" || { echo "FAIL: damaged entry not recompiled"; cat "$WORK/run3.txt"; exit 1; }
"$MOEC" cache clear | grep -q "removed" && [ -z "$(ls "$MOEC_CACHE_DIR")" ] || { echo "FAIL: moec cache clear"; exit 1; }
echo "host-app from the installed package: OK"
