#!/usr/bin/env bash
# Runs ON the GPU machine (H100, Ubuntu 24.04, no LLVM, no network), from the
# repository root, with bundle/moec-bundle.tar.xz carried along (make-bundle.sh):
#
#   bash scripts/device-run.sh [STEP ...]
#
# STEPs, in this order (default: all):
#   env         nvidia-smi, driver/CUDA/torch/triton versions, ldd of the bundle
#   tests       every GoogleTest binary in the bundle's bin/ (JSON reports)
#   smoke       moec compile / moec-opt on every examples/*.mlir (the bundle runs here)
#   moec-isa    moec compile --emit asm for gfx942 + benchmarks/isa_report.py, if moec can
#   moec-bench  benchmarks/run_moec_gemm.sh, if it exists (writes $MOEC_RESULTS)
#   peers       benchmarks/gemm_peers_h100.py (cuBLAS + Triton; merges moec's results)
#   jit         the JIT (issue 9): bin/moec-jit-bench (cold compile / disk hit /
#               in-memory hit per variant, C++ launch overhead against a bare
#               cuLaunchKernel) and benchmarks/jit_python.py through the Python
#               module (numerics sweep, Python launch overhead, GEMM table against
#               torch and Triton)
#   triton-isa  benchmarks/triton_gfx942_isa.py (Triton's gfx942 ISA, no AMD GPU needed)
#
# Everything lands in $OUT (at most 8 files come back): summary.md, results.json,
# log.txt and triton_gfx942_asm.tar.gz. Each step runs under `timeout`, inside a
# total budget ($DEVICE_RUN_BUDGET, default 540 s: the run tool stops a command at
# 600 s); a failed step does not stop the others.
# Exit status: 1 if a test step failed (or tests were asked for and no bundle
# came), else 3 if a benchmark step failed, else 0.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
OUT=${OUT:-$ROOT/device-out}
mkdir -p "$OUT"
BUNDLE=${MOEC_BUNDLE:-$ROOT/bundle/moec-bundle.tar.xz}
MOEC=${MOEC_DIR:-/tmp/moec}
WORK=$MOEC/work
BUDGET=${DEVICE_RUN_BUDGET:-540}
LOG=$OUT/log.txt
STEPS_TSV=$WORK/steps.tsv
export PYTHONUNBUFFERED=1 GTEST_COLOR=no
: > "$LOG"

ALL_STEPS="env tests smoke moec-isa moec-bench jit peers triton-isa"
STEPS=${*:-$ALL_STEPS}
for s in $STEPS; do
  case " $ALL_STEPS " in *" $s "*) ;; *) echo "device-run: unknown step '$s' (steps: $ALL_STEPS)" >&2; exit 2 ;; esac
done
want() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

say() { echo "$*"; echo "$*" >> "$LOG"; }

# --- unpack the bundle ------------------------------------------------------
rm -rf "$MOEC"
mkdir -p "$MOEC" "$WORK"
: > "$STEPS_TSV"
HAVE_BUNDLE=0
if [ -f "$BUNDLE" ]; then
  t0=$SECONDS
  if tar -C "$MOEC" -xJf "$BUNDLE" >> "$LOG" 2>&1 \
     || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' \
          "$BUNDLE" "$MOEC" >> "$LOG" 2>&1; then
    HAVE_BUNDLE=1
    say "== unpacked $BUNDLE into $MOEC in $((SECONDS - t0)) s"
  else
    say "== FAILED to unpack $BUNDLE"
  fi
else
  say "== no bundle at $BUNDLE (carry bundle/ with the run tool): moec binaries are not tested"
fi
mkdir -p "$WORK"   # the bundle may not carry it
export LD_LIBRARY_PATH="$MOEC/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$MOEC/bin:$PATH"
BENCH=$ROOT/benchmarks
[ -f "$BENCH/gemm_peers_h100.py" ] || BENCH=$MOEC/benchmarks
EXAMPLES=$ROOT/examples
[ -d "$EXAMPLES" ] || EXAMPLES=$MOEC/examples

# record NAME KIND RC SECONDS NOTE      (KIND: test | bench | info)
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "$STEPS_TSV"; }

# run_step NAME KIND TIMEOUT CMD...: runs CMD under timeout within the budget,
# output to the log, one status line to stdout.
run_step() {
  local name=$1 kind=$2 want_t=$3; shift 3
  local left=$((BUDGET - SECONDS - 20))
  if [ "$left" -lt 15 ]; then
    say "-- $name: SKIPPED (out of time budget)"
    record "$name" "$kind" skipped 0 "out of time budget"
    return 0
  fi
  local t=$((want_t < left ? want_t : left))
  echo "===== $name: $* (timeout ${t}s)" >> "$LOG"
  local t0=$SECONDS
  timeout -k 5 "$t" "$@" >> "$LOG" 2>&1 < /dev/null
  local rc=$?
  local dt=$((SECONDS - t0))
  local note=""
  [ "$rc" = 124 ] || [ "$rc" = 137 ] && note="timed out after ${t}s"
  say "-- $name: rc=$rc ${dt}s ${note}"
  record "$name" "$kind" "$rc" "$dt" "$note"
  return 0
}

# --- env --------------------------------------------------------------------
if want env; then
  {
    echo "===== env"
    date -u
    uname -a
    (. /etc/os-release; echo "$PRETTY_NAME")
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw --format=csv 2>&1
    nvidia-smi 2>&1 | head -20
    nvcc --version 2>&1 | tail -2
    python3 - <<'EOF' 2>&1
import platform
print("python", platform.python_version())
try:
    import torch
    print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        print("device", p.name, "SMs", p.multi_processor_count, "L2", getattr(p, "L2_cache_size", "?"),
              "mem", p.total_memory)
except Exception as e:
    print("torch: unavailable:", e)
try:
    import triton
    print("triton", triton.__version__)
except Exception as e:
    print("triton: unavailable:", e)
EOF
    if [ "$HAVE_BUNDLE" = 1 ]; then
      head -20 "$MOEC/MANIFEST.txt" 2>/dev/null
      for b in "$MOEC"/bin/*; do echo "ldd $(basename "$b"):"; ldd "$b"; done
    fi
  } > "$WORK/env.txt" 2>&1
  cat "$WORK/env.txt" >> "$LOG"
  grep -E '^(NVIDIA|name|python|torch|triton|device)' "$WORK/env.txt" | head -8
  if [ "$HAVE_BUNDLE" = 1 ] && grep -q '=> not found' "$WORK/env.txt"; then
    say "-- env: a bundled binary misses a shared library here (see log.txt)"
    record env test 1 0 "ldd: library not found"
  else
    record env info 0 0 ""
  fi
fi

# --- tests ------------------------------------------------------------------
if want tests; then
  if [ "$HAVE_BUNDLE" = 1 ]; then
    n=0
    for b in "$MOEC"/bin/*; do
      [ -x "$b" ] || continue
      grep -aq 'gtest_output' "$b" || continue   # GoogleTest binaries only
      name=$(basename "$b")
      run_step "test:$name" test 180 "$b" --gtest_output="json:$WORK/gtest-$name.json"
      n=$((n + 1))
    done
    [ "$n" -gt 0 ] || { say "-- tests: no GoogleTest binary in the bundle"; record tests info 0 0 "no gtest binaries"; }
  else
    say "-- tests: FAILED: no bundle"
    record tests test 1 0 "no bundle: carry bundle/ (scripts/make-bundle.sh)"
  fi
fi

# --- smoke ------------------------------------------------------------------
if want smoke && [ "$HAVE_BUNDLE" = 1 ]; then
  for f in "$EXAMPLES"/*.mlir; do
    [ -f "$f" ] || continue
    ex=$(basename "$f" .mlir)
    [ -x "$MOEC/bin/moec" ] && run_step "smoke:moec-compile:$ex" test 60 \
      "$MOEC/bin/moec" compile "$f" --arch gfx942 --emit mlir -o "$WORK/$ex.gfx942.mlir"
    [ -x "$MOEC/bin/moec-opt" ] && run_step "smoke:moec-opt:$ex" test 60 \
      "$MOEC/bin/moec-opt" "$f" -o "$WORK/$ex.opt.mlir"
  done
fi

# --- moec-isa: moec's own gfx942 assembly through the same parser -----------
if want moec-isa && [ "$HAVE_BUNDLE" = 1 ] && [ -x "$MOEC/bin/moec" ]; then
  if "$MOEC/bin/moec" compile "$EXAMPLES/gemm.mlir" --arch gfx942 --emit asm -o "$WORK/moec_gemm_gfx942.s" \
       >> "$LOG" 2>&1 < /dev/null; then
    run_step moec-isa info 60 python3 "$BENCH/isa_report.py" "$WORK/moec_gemm_gfx942.s" \
      --json "$WORK/moec_isa.json" --md "$WORK/moec_isa.md"
  else
    say "-- moec-isa: moec cannot emit gfx942 asm yet (not a failure)"
    record moec-isa info na 0 "moec compile --emit asm not available"
  fi
fi

# --- moec-bench: moec's own GEMM timings, when a driver script exists ------
export MOEC_RESULTS=$WORK/moec_results.json MOEC_BIN_DIR=$MOEC/bin
if want moec-bench; then
  if [ -f "$BENCH/run_moec_gemm.sh" ] && [ "$HAVE_BUNDLE" = 1 ]; then
    run_step moec-bench bench 180 bash "$BENCH/run_moec_gemm.sh"
  else
    record moec-bench info na 0 "no benchmarks/run_moec_gemm.sh or no bundle"
  fi
fi

# --- jit: the JIT's costs and the Python module -----------------------------
if want jit; then
  if [ "$HAVE_BUNDLE" = 1 ] && [ -x "$MOEC/bin/moec-jit-bench" ]; then
    export MOEC_CACHE_DIR=$WORK/jit-cache
    run_step jit-cpp bench 120 "$MOEC/bin/moec-jit-bench" --device cuda:0 \
      --cache "$WORK/jit-bench-cache" --json "$WORK/jit_cpp.jsonl"
    grep -E "^(cold|disk|in-memory|bare|decode|m64|prefill|generic|bias)" "$LOG" | tail -16
  else
    record jit-cpp info na 0 "no bundle or no moec-jit-bench"
  fi
  if [ -f "$MOEC/lib/libmoec.so" ]; then
    MOEC_LIBRARY=$MOEC/lib/libmoec.so PYTHONPATH=$MOEC/python \
      run_step jit-python test 300 python3 "$BENCH/jit_python.py" --out "$WORK/jit"
  else
    record jit-python info na 0 "no lib/libmoec.so in the bundle"
  fi
fi

# --- peers: cuBLAS and Triton on the H100 -----------------------------------
if want peers; then
  extra=()
  [ -s "$MOEC_RESULTS" ] && extra=(--moec-results "$MOEC_RESULTS")
  # Weights as a linear layer stores them (N x K), as moec.gemm transpose_b.
  run_step peers bench 240 python3 "$BENCH/gemm_peers_h100.py" --b-layout nk --out "$WORK/peers" "${extra[@]}"
fi

# --- triton-isa: Triton's gfx942 code, compiled here without an AMD GPU -----
if want triton-isa; then
  run_step triton-isa bench 150 python3 "$BENCH/triton_gfx942_isa.py" --out "$WORK/triton_isa" \
    --asm-tar "$OUT/triton_gfx942_asm.tar.gz"
fi

# --- aggregate into $OUT ----------------------------------------------------
python3 - "$WORK" "$OUT" "$HAVE_BUNDLE" <<'EOF' >> "$LOG" 2>&1 || say "== aggregation failed (see log.txt)"
import glob, json, os, sys
work, out, have_bundle = sys.argv[1], sys.argv[2], sys.argv[3] == "1"

def load(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except Exception as e:
        return None

def text(path):
    try:
        with open(path) as fh:
            return fh.read()
    except Exception:
        return None

steps = []
for line in open(os.path.join(work, "steps.tsv")):
    p = line.rstrip("\n").split("\t")
    if len(p) >= 5:
        steps.append({"step": p[0], "kind": p[1], "rc": p[2], "seconds": p[3], "note": p[4]})

tests = {}
for path in sorted(glob.glob(os.path.join(work, "gtest-*.json"))):
    name = os.path.basename(path)[len("gtest-"):-len(".json")]
    g = load(path)
    if not g:
        tests[name] = {"error": "no or unreadable JSON report"}
        continue
    failed = []
    for suite in g.get("testsuites", []):
        for t in suite.get("testsuite", []):
            if t.get("failures"):
                failed.append("%s.%s" % (suite.get("name"), t.get("name")))
    tests[name] = {"tests": g.get("tests"), "failures": g.get("failures"), "disabled": g.get("disabled"),
                   "errors": g.get("errors"), "time": g.get("time"), "failed": failed, "report": g}

results = {
    "bundle": have_bundle,
    "env": text(os.path.join(work, "env.txt")),
    "steps": steps,
    "gtest": tests,
    "moec_isa": load(os.path.join(work, "moec_isa.json")),
    "moec_results": load(os.path.join(work, "moec_results.json")),
    "peers": load(os.path.join(work, "peers", "gemm_peers_h100.json")),
    "jit_python": load(os.path.join(work, "jit", "jit_python.json")),
    "jit_cpp": [json.loads(l) for l in (text(os.path.join(work, "jit_cpp.jsonl")) or "").splitlines() if l.strip()],
    "triton_isa": load(os.path.join(work, "triton_isa", "triton_gfx942_isa.json")),
}
with open(os.path.join(out, "results.json"), "w") as fh:
    json.dump(results, fh, indent=1)

def ok(s):
    return s["rc"] in ("0", "na")

md = ["# moec device run", ""]
if not have_bundle:
    md += ["**No bundle was carried: the moec binaries were not tested.**", ""]
env = results["env"] or ""
for line in env.splitlines():
    if line.startswith(("torch ", "triton ", "device ", "python ")) or "NVIDIA" in line and "," in line:
        md.append("    " + line)
md += ["", "| step | kind | rc | s | note |", "|---|---|---|---|---|"]
for s in steps:
    mark = "" if ok(s) or s["rc"] == "skipped" else " **FAIL**"
    md.append("| %s | %s | %s%s | %s | %s |" % (s["step"], s["kind"], s["rc"], mark, s["seconds"], s["note"]))
if tests:
    md += ["", "## GoogleTest", "", "| binary | tests | failures | failed |", "|---|---|---|---|"]
    for name, t in tests.items():
        md.append("| %s | %s | %s | %s |" % (name, t.get("tests"), t.get("failures", t.get("error")),
                                            ", ".join(t.get("failed", []))[:500]))
if results["jit_cpp"]:
    md += ["", "## JIT (C++): first request per variant, launch overhead", "",
           "| bench | what | value |", "|---|---|---|"]
    for r in results["jit_cpp"]:
        if r.get("bench") == "first_request":
            md.append("| first request (%s run) | %s: %s | %.2f ms |" % (r["run"], r["variant"], r["source"], r["ms"]))
        else:
            md.append("| launch overhead, host time per call (%s, bursts of %s) | Jit::gemm %.3f us, C API plan run %.3f us, bare cuLaunchKernel %.3f us | +%.3f us |" % (
                r.get("variant", "?"), r.get("burst", "?"), r["jit_us"], r.get("capi_plan_us", -1),
                r["bare_driver_us"], r["overhead_us"]))
for title, rel in [("moec gfx942 ISA", "moec_isa.md"), ("JIT through the Python module", "jit/jit_python.md"),
                   ("Peers on the H100", "peers/gemm_peers_h100.md"),
                   ("Triton gfx942 ISA", "triton_isa/triton_gfx942_isa.md")]:
    body = text(os.path.join(work, rel))
    if body:
        md += ["", "## " + title, "", body.strip()]
with open(os.path.join(out, "summary.md"), "w") as fh:
    fh.write("\n".join(md) + "\n")
print("aggregated into", out)
EOF

# Exit status from the recorded steps.
status=0
if awk -F'\t' '$2 == "test" && $3 != "0" && $3 != "na" && $3 != "skipped" {f=1} END {exit !f}' "$STEPS_TSV"; then
  status=1
elif awk -F'\t' '$2 == "bench" && $3 != "0" && $3 != "na" && $3 != "skipped" {f=1} END {exit !f}' "$STEPS_TSV"; then
  status=3
fi

# Keep log.txt under the 16 MiB a returned file may have.
if [ "$(stat -c %s "$LOG")" -gt $((15 * 1024 * 1024)) ]; then
  { head -c $((7 * 1024 * 1024)) "$LOG"; echo; echo "[... log cut ...]"; tail -c $((7 * 1024 * 1024)) "$LOG"; } > "$LOG.cut"
  mv -f "$LOG.cut" "$LOG"
fi

echo
[ -f "$OUT/summary.md" ] && cat "$OUT/summary.md"
echo
echo "device-run: exit $status ($(ls "$OUT" | tr '\n' ' '))"
exit $status
