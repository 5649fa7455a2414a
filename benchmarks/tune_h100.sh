#!/usr/bin/env bash
# moec tune on the H100 (issue 10's benchmarks), and Triton tuned over its own
# config list in the same call. From the repository root on the GPU machine,
# with the bundle of scripts/make-bundle.sh:
#
#   OUT=$OUT bash benchmarks/tune_h100.sh
#
# 1. compile throughput: `moec tune --compile-only` over the sm_90 space of
#    the 4096^3 shape (PTX, plus SASS by ptxas when one is used) and over the
#    gfx942 space (code objects with the spill/resource check), every core;
# 2. each shape of $TUNE_SHAPES tuned (bf16, B as N x K; the spaces of
#    benchmarks/tune/, seeded with benchmarks/run_moec_gemm.sh's fixed
#    config list) from a cold kernel cache, one --json line per shape:
#    wall time, candidates, where the time went (compile, load, waiting,
#    first pass, re-timing, verify), the winner and the best seed (the best
#    of the fixed list) timed in the same final round; the first shape also
#    with the driver's PTX JIT instead of ptxas (TUNE_COMPARE_DRIVER);
# 3. the winner and the best seed of each shape re-timed by `moec bench`
#    (as run_moec_gemm.sh times the fixed list);
# 4. benchmarks/triton_tuned_gemm.py: Triton tuned over its own config list
#    (>= 100 configs per shape) on the same shapes.
# Writes $OUT/tune_summary.md, $OUT/tune_results.json, $OUT/tune_log.txt,
# $OUT/triton_tuned_gemm.json and $OUT/tune_db.tar.gz (config files, journals).
#
# Environment (defaults keep the whole script near 4-5 minutes on the H100):
#   MOEC_BIN_DIR      moec binaries (default /tmp/moec/bin, extracted from
#                     bundle/moec-bundle.tar.xz when missing)
#   MOEC_ARCH         sm_90
#   TUNE_SHAPES       "4096,4096,4096 8192,8192,8192 256,14336,4096 16,4096,4096"
#   TUNE_BUDGET       30   seconds per shape (--budget), the first shape:
#   TUNE_FIRST_BUDGET 60
#   TUNE_PTXAS        auto: the CUDA toolkit's or Triton's ptxas if found
#                     (SASS on the compile workers); 0: the driver's JIT at
#                     load; or a path
#   TUNE_COMPARE_DRIVER 1: also tune the first shape with the driver's JIT
#                     (cold cache), when ptxas is used for the rest
#   TUNE_COMPILE_ONLY 1, TUNE_BENCH 1, TUNE_TRITON 1: steps 1, 3, 4 on/off
#   TUNE_CUT 1.5, TUNE_FINALISTS 3: moec tune's --cut and --finalists
#   TUNE_SPACE_LARGE, TUNE_SPACE_SMALL: other spaces for M >= 2048 / < 2048
#   TRITON_TUNE_WARMUP_MS 5, TRITON_TUNE_REP_MS 20, TRITON_TUNE_BUDGET_S 120,
#   TRITON_TUNE_JOBS (every core): the Triton side (see its --help)
#   TUNE_MOE          1: also tune the fused-MoE w13 GEMM of a model with
#                     `moec tune --op moe` (step 5): one process per batch,
#                     each with its own --budget, cold kernel cache at the
#                     first; $OUT/tune_moe/E=..,N=..,device_name=...json (the
#                     vLLM file, keys = batch) and a MoE table in the summary
#   TUNE_MOE_ONLY     1: step 5 alone (no GEMM shapes, no steps 1, 3, 4)
#   TUNE_MOE_MODEL    examples/models/mixtral-8x7b.json
#   TUNE_MOE_TP       1 (Mixtral TP1: w13 E 8, N 28672, K 4096, top-2)
#   TUNE_MOE_BATCHES  "1 16 256"
#   TUNE_MOE_BUDGET   30   seconds per batch
#   TUNE_MOE_SPACE    benchmarks/tune/space_moe_sm90.json
#   TUNE_MOE_COMPILE_ONLY 1: first compile the MoE space at the largest batch
#                     with --compile-only (candidates/s, rejected)
set -uo pipefail
. "$(dirname "$0")/device-env.sh" tune_h100
ARCH=${MOEC_ARCH:-sm_90}
SHAPES=${TUNE_SHAPES:-"4096,4096,4096 8192,8192,8192 256,14336,4096 16,4096,4096"}
if [ "${TUNE_MOE_ONLY:-0}" = 1 ]; then
  SHAPES=""; TUNE_MOE=1; TUNE_COMPILE_ONLY=0; TUNE_BENCH=0; TUNE_TRITON=0
fi
BUDGET=${TUNE_BUDGET:-30}
FIRST_BUDGET=${TUNE_FIRST_BUDGET:-60}
CUT=${TUNE_CUT:-1.5}
FINALISTS=${TUNE_FINALISTS:-3}
WORK=$(mktemp -d)
LOG=$OUT/tune_log.txt
RES=$WORK/results.jsonl
FILE=benchmarks/gemm_bf16_nk.mlir
: > "$LOG"; : > "$RES"
log() { echo "$*" | tee -a "$LOG"; }
t_script=$(date +%s.%N)

# ptxas: SASS on the compile workers (and its spill report), or the driver.
PTXAS=${TUNE_PTXAS:-auto}
if [ "$PTXAS" = auto ]; then
  PTXAS=
  for p in "${CUDA_HOME:-/usr/local/cuda}/bin/ptxas" /usr/local/cuda/bin/ptxas "$(command -v ptxas 2>/dev/null)" \
           "$(python3 -c 'import os, triton; print(os.path.join(os.path.dirname(triton.__file__), "backends/nvidia/bin/ptxas"))' 2>/dev/null)"; do
    [ -n "$p" ] && [ -x "$p" ] && { PTXAS=$p; break; }
  done
elif [ "$PTXAS" = 0 ]; then
  PTXAS=
fi
[ "$ARCH" = host ] && PTXAS=
PTXAS_ARGS=(); [ -n "$PTXAS" ] && PTXAS_ARGS=(--ptxas "$PTXAS")
log "== moec tune on $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1) ($(nproc) cores), arch $ARCH, ptxas: ${PTXAS:-none, the driver JIT}"
[ -n "$PTXAS" ] && log "   $("$PTXAS" --version 2>/dev/null | tail -1)"

space_for() { # M -> the space file for the arch
  if [ "$1" -ge 2048 ] && [ -n "${TUNE_SPACE_LARGE:-}" ]; then echo "$TUNE_SPACE_LARGE"
  elif [ "$1" -lt 2048 ] && [ -n "${TUNE_SPACE_SMALL:-}" ]; then echo "$TUNE_SPACE_SMALL"
  elif [ "$ARCH" = host ]; then echo small
  elif [ "$1" -ge 2048 ]; then echo benchmarks/tune/space_sm90_large.json
  else echo benchmarks/tune/space_sm90_small.json; fi
}

# The summary, rewritten after each step (a run cut short still leaves one).
summarize() {
python3 - "$RES" "$WORK" "$OUT" "$t_script" <<'PY'
import json, os, sys, time
res, work, out, t_script = sys.argv[1:]
rows = [json.loads(l) for l in open(res) if l.strip()]
def bench(what):
    d = {}
    p = os.path.join(work, "bench_%s.jsonl" % what)
    if os.path.exists(p):
        for l in open(p):
            r = json.loads(l); d[tuple(r["shape"])] = r["ms"]
    return d
tb, sb = bench("tuned"), bench("seed")
tri = {}
tp = os.path.join(out, "triton_tuned_gemm.json")
tj = json.load(open(tp)) if os.path.exists(tp) else None
if tj:
    for r in tj["shapes"]:
        tri[tuple(r["shape"])] = r
def f(x, fmt="%.4f"):
    return fmt % x if isinstance(x, (int, float)) else "-"
L = ["# moec tune on the H100, and Triton tuned over its own config list (same call)", ""]
comp = [r for r in rows if r["kind"] == "compile"]
if comp:
    L += ["## Compile throughput (moec tune --compile-only, every core)", "",
          "| arch | SASS by ptxas | candidates | seconds | threads | candidates/s | ok | rejected | spill |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in comp:
        L.append("| {arch} | {sass} | {candidates} | {seconds} | {threads} | {per_s} | {ok} | {rejected} | {spill} |".format(
            sass="yes" if r.get("ptxas") else "no", **r))
    L.append("")
L += ["## Tuning: wall time, candidates, where the time went", "",
      "| shape MxNxK | PTX -> SASS | wall s (process) | candidates (seeds) | compiled/cache hits | spill/rejected | cut | timed | rounds | re-timings | compile wall s (cand/s) | compile+load CPU s (load) | waiting s | first pass s | re-timing s | verify s |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    if r["kind"] != "tune":
        continue
    ph = r.get("phases", {})
    cw = ph.get("compile_wall_s")
    L.append("| %s | %s | %s | %s (%s) | %s/%s | %s/%s | %s | %s | %s | %s | %s (%s) | %s (%s) | %s | %s | %s | %s |" % (
        "x".join(map(str, r["shape"])), r["label"], f(r.get("wall_s"), "%.1f") + " (" + f(r.get("process_wall_s"), "%.1f") + ")",
        r.get("candidates", "-"), r.get("seeds", "-"),
        r.get("compiled", "-"), r.get("cache_hits", "-"), r.get("spill", "-"), r.get("rejected", "-"),
        r.get("cut", "-"), r.get("timed", "-"), r.get("rounds", "-"), r.get("retimed", "-"),
        f(cw, "%.1f"), f(ph.get("compiled_in_wall", 0) / cw if cw else None, "%.1f"),
        f(ph.get("compile_cpu_s"), "%.1f"), f(ph.get("load_cpu_s"), "%.1f"), f(ph.get("wait_s"), "%.1f"),
        f(ph.get("first_pass_s"), "%.2f"), f((ph.get("halving_s") or 0) + (ph.get("final_round_s") or 0), "%.2f"),
        f(ph.get("verify_s"), "%.2f")))
# Per candidate, from the journals: compile (loading included) and loading
# alone, in ms. A driver that serialises its PTX JIT shows as loads far
# longer in parallel than ptxas takes alone.
import glob, statistics
jl = []
for d in sorted(glob.glob(os.path.join(work, "db-*"))):
    recs = []
    jp = os.path.join(d, "journal.jsonl")
    if os.path.exists(jp):
        for l in open(jp):
            try:
                r = json.loads(l)
            except ValueError:
                continue
            if "compile_ms" in r:
                recs.append(r)
    if recs:
        c = sorted(r["compile_ms"] for r in recs); ld = sorted(r.get("load_ms", 0) for r in recs)
        jl.append("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |" % (
            os.path.basename(d)[3:], len(recs), statistics.median(c), c[int(0.9 * (len(c) - 1))], c[-1],
            statistics.median(ld), ld[int(0.9 * (len(ld) - 1))], ld[-1]))
if jl:
    L += ["", "## Per candidate (journals): compile incl. load, and load alone, ms (on the workers, in parallel)", "",
          "| run | candidates | compile median | p90 | max | load median | p90 | max |", "|---|---|---|---|---|---|---|---|"] + jl
L += ["", "## Tuned vs the best of the fixed config list vs Triton tuned (ms; speed-up > 1: moec tuned is faster)", "",
      "| shape MxNxK | tuned config | tuned (final round) | best seed = fixed-list best (final round) | speed-up, same round | tuned (moec bench) | fixed-list best (moec bench) | speed-up, moec bench | Triton tuned config | Triton configs | Triton tuning s | Triton ms | Triton ms / moec tuned ms (bench, else final round) |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
summary = []
seen = set()
for r in reversed(rows):  # the last row of a shape is the ptxas one when both ran
    if r["kind"] != "tune" or tuple(r["shape"]) in seen:
        continue
    seen.add(tuple(r["shape"]))
    summary.insert(0, r)
for r in summary:
    s = tuple(r["shape"]); c = r.get("config", {})
    cfg = "%s/%s/%s g%s w%s s%s%s" % (c.get("BLOCK_SIZE_M"), c.get("BLOCK_SIZE_N"), c.get("BLOCK_SIZE_K"), c.get("GROUP_SIZE_M"),
                                      c.get("num_warps"), c.get("num_stages"), " async" if c.get("async_copy") else "") if c else "-"
    t_us, s_us = r.get("best_us"), r.get("best_seed_us")
    t_ms, f_ms = tb.get(s), sb.get(s)
    tr = tri.get(s, {})
    tri_ms = tr.get("ms")
    r.update({"tuned_bench_ms": t_ms, "fixed_best_bench_ms": f_ms, "triton_ms": tri_ms,
              "triton_config": tr.get("best_label"), "triton_tune_wall_s": tr.get("tune_wall_s")})
    L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        "x".join(map(str, s)), cfg, f(t_us / 1000 if t_us else None), f(s_us / 1000 if s_us else None),
        f(s_us / t_us if t_us and s_us else None, "%.3fx"),
        f(t_ms), f(f_ms), f(f_ms / t_ms if t_ms and f_ms else None, "%.3fx"),
        tr.get("best_label", "-"), tr.get("configs", "-"), f(tr.get("tune_wall_s"), "%.1f"), f(tri_ms),
        f(tri_ms / t_ms if tri_ms and t_ms else (tri_ms / (t_us / 1000) if tri_ms and t_us else None), "%.2fx")))
if tj:
    c = tj["compile"]
    L += ["", "Triton %s (torch %s): %d configs in its list, %d compiled in %.1f s on %d processes (%.1f configs/s, %d failed, cold cache); the first shape's tuning with its compile: %s s; tuning method: %s; the winner timed %s." % (
        tj["triton"], tj["torch"], tj["configs_in_list"], c["configs"], c["wall_s"], c["jobs"], c["per_s"], c["failed"],
        f(tj["shapes"][0].get("tune_wall_with_compile_s") if tj["shapes"] else None, "%.1f"),
        tj["method"]["tuning"], tj["method"]["winner"])]
mp = os.path.join(work, "moe.jsonl")
moe = [json.loads(l) for l in open(mp) if l.strip()] if os.path.exists(mp) else []
if moe:
    L += ["", "## Fused MoE: the w13 moe_gemm tuned by `moec tune --op moe` (one process per batch; kernel cache cold at the first)", "",
          "| batch | GEMM rows MxNxK | E | top_k | process wall s | tuner wall s | candidates | compiled/cache hits | cut | timed | wrong | complete | tuned config | tuned us | best seed | seed us | speed-up |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in moe:
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s/%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r.get("batch"), "x".join(map(str, r.get("shape", []))), r.get("experts"), r.get("top_k"),
            f(r.get("process_wall_s"), "%.1f"), f(r.get("wall_s"), "%.1f"), r.get("candidates", "-"),
            r.get("compiled", "-"), r.get("cache_hits", "-"), r.get("cut", "-"), r.get("timed", "-"), r.get("wrong", "-"),
            r.get("complete", "-"), r.get("best", "-"), f(r.get("best_us"), "%.1f"), r.get("best_seed", "-"),
            f(r.get("best_seed_us"), "%.1f"),
            f(r["best_seed_us"] / r["best_us"] if r.get("best_us") and r.get("best_seed_us") else None, "%.3fx")))
    mc = os.path.join(work, "moe_compile.txt")
    if os.path.exists(mc) and open(mc).read().strip():
        L += ["", "MoE space, compile only (every core, no kernel cache): `%s`" % open(mc).read().strip()]
    for cf in sorted(glob.glob(os.path.join(out, "tune_moe", "E=*.json"))):
        L += ["", "`%s`:" % os.path.basename(cf), "", "```", open(cf).read().rstrip(), "```"]
L += ["", "Script wall time: %.0f s." % (time.time() - float(t_script))]
open(os.path.join(out, "tune_summary.md"), "w").write("\n".join(L) + "\n")
json.dump({"rows": rows, "triton": tj, "moe": moe}, open(os.path.join(out, "tune_results.json"), "w"), indent=1)
if os.environ.get("TUNE_PRINT_SUMMARY"):
    print("\n".join(L))
PY
}

# 1. Compile throughput.
if [ "${TUNE_COMPILE_ONLY:-1}" = 1 ]; then
  # The target's PTX (the old figure), PTX + SASS by ptxas, AMD code objects.
  for v in "$ARCH" $( [ -n "$PTXAS" ] && echo "$ARCH:ptxas" ) gfx942; do
    a=${v%%:*}
    sp=$( [ "$a" = gfx942 ] && echo benchmarks/tune/space_gfx942.json || space_for 4096 )
    extra=(); [ "$v" = "$ARCH:ptxas" ] && extra=(${PTXAS_ARGS[@]+"${PTXAS_ARGS[@]}"})
    log "-- compile-only $a ($sp) ${extra[*]}"
    timeout 150 "$MOEC" tune "$FILE" --arch "$a" --sizes M=4096,N=4096,K=4096 \
      --assume-aligned --space "$sp" --compile-only ${extra[@]+"${extra[@]}"} 2>&1 | tee -a "$LOG" \
      | sed -n 's/.*: \([0-9]*\) candidates in \([0-9.]*\) s on \([0-9]*\) threads: \([0-9.]*\) compiled\/s; \([0-9]*\) ok, \([0-9]*\) rejected, \([0-9]*\) spill/{"kind": "compile", "arch": "'"$a"'", "ptxas": '"$( [ ${#extra[@]} -gt 0 ] && echo true || echo false )"', "candidates": \1, "seconds": \2, "threads": \3, "per_s": \4, "ok": \5, "rejected": \6, "spill": \7}/p' >> "$RES"
  done
fi

summarize

# 2. Tune each shape, from a cold kernel cache (shapes after the first reuse
# the first's kernels: every size is dynamic, so the LLVM side is a cache hit).
tune_one() { # M N K budget label cache-dir [extra moec args...]
  local M=$1 N=$2 K=$3 b=$4 label=$5 cache=$6; shift 6
  local sp dir t0 t1 rc
  sp=$(space_for "$M")
  dir=$WORK/db-$label-$M-$N-$K
  log "-- tune M=$M N=$N K=$K ($sp, budget ${b}s, $label)"
  t0=$(date +%s.%N)
  # A cold start for both caches: moec's kernel cache and the driver's own
  # PTX JIT cache (CUDA_CACHE_PATH), one of each per label.
  MOEC_CACHE_DIR=$cache CUDA_CACHE_PATH=$cache-nv timeout $((b + 90)) "$MOEC" tune "$FILE" --arch "$ARCH" --sizes "M=$M,N=$N,K=$K" \
    --assume-aligned --space "$sp" --budget "${b}s" --cut "$CUT" --finalists "$FINALISTS" \
    --json "$WORK/tune.jsonl" "$@" -o "$dir" > "$WORK/tune.txt" 2> "$WORK/tune.err"
  rc=$?
  t1=$(date +%s.%N)
  cat "$WORK/tune.txt" >> "$LOG"; tail -4 "$WORK/tune.err" >> "$LOG"
  # The tool's own JSON line, with the process wall time, label and rc.
  python3 - "$WORK/tune.jsonl" "$M" "$N" "$K" "$t0" "$t1" "$rc" "$label" >> "$RES" <<'PY'
import json, sys
path, M, N, K, t0, t1, rc, label = sys.argv[1:]
shape = [int(M), int(N), int(K)]
line = None
for l in open(path) if __import__("os").path.exists(path) else []:
    r = json.loads(l)
    if r.get("shape") == shape:
        line = r
out = dict(line or {}, kind="tune", label=label, shape=shape, process_wall_s=float(t1) - float(t0), rc=int(rc))
print(json.dumps(out))
PY
  : > "$WORK/tune.jsonl"
}
first=1
for shape in $SHAPES; do
  IFS=, read -r M N K <<< "$shape"
  b=$BUDGET; [ $first = 1 ] && b=$FIRST_BUDGET
  if [ $first = 1 ] && [ -n "$PTXAS" ] && [ "${TUNE_COMPARE_DRIVER:-1}" = 1 ]; then
    tune_one "$M" "$N" "$K" "$b" driver-jit "$WORK/cache-driver"
  fi
  tune_one "$M" "$N" "$K" "$b" "$( [ -n "$PTXAS" ] && echo ptxas || echo driver-jit )" "$WORK/cache" ${PTXAS_ARGS[@]+"${PTXAS_ARGS[@]}"}
  first=0
  summarize
done

# 3. The winner and the best seed of each shape, timed by `moec bench`.
if [ "${TUNE_BENCH:-1}" = 1 ]; then
  python3 - "$RES" > "$WORK/bench_plan.txt" <<'PY'
import json, sys
def flags(c):
    a = "--block-m %d --block-n %d --block-k %d --group-m %d --num-warps %d --num-stages %d --epilogue %s" % (
        c["BLOCK_SIZE_M"], c["BLOCK_SIZE_N"], c["BLOCK_SIZE_K"], c["GROUP_SIZE_M"], c["num_warps"],
        c["num_stages"], c.get("epilogue", "direct"))
    return a + (" --async-copy" if c.get("async_copy") else "")
seen = set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("kind") != "tune" or "config" not in r:
        continue
    s = tuple(r["shape"])
    if s in seen:  # the first shape's driver-JIT row: its ptxas row follows
        continue
    for what, key in (("tuned", "config"), ("seed", "seed_config")):
        if key in r:
            print("%s %s %s" % (what, ",".join(map(str, s)), flags(r[key])))
    seen.add(s)
PY
  while read -r what shape flags; do
    IFS=, read -r M N K <<< "$shape"
    log "-- bench $what M=$M N=$N K=$K $flags"
    # shellcheck disable=SC2086
    timeout 120 "$MOEC" bench "$FILE" --arch "$ARCH" --sizes "M=$M,N=$N,K=$K" --assume-aligned $flags \
      --warmup 5 --repeat 20 --json "$WORK/bench_$what.jsonl" >> "$LOG" 2>&1 || log "   (bench failed)"
  done < "$WORK/bench_plan.txt"
fi

summarize

# 5. The fused-MoE w13 GEMM of a model, one process (and budget) per batch.
if [ "${TUNE_MOE:-0}" = 1 ]; then
  MOE_MODEL=${TUNE_MOE_MODEL:-examples/models/mixtral-8x7b.json}
  MOE_SPACE=${TUNE_MOE_SPACE:-benchmarks/tune/space_moe_sm90.json}
  [ "$ARCH" = host ] && MOE_SPACE=${TUNE_MOE_SPACE:-benchmarks/tune/space_moe_host.json}
  mkdir -p "$OUT/tune_moe"
  : > "$WORK/moe.jsonl"
  if [ "${TUNE_MOE_COMPILE_ONLY:-1}" = 1 ]; then
    # Compile throughput of the MoE space at the largest batch (no cache).
    last=$(echo ${TUNE_MOE_BATCHES:-1 16 256} | awk '{print $NF}')
    log "-- moec tune --op moe --compile-only batch $last"
    timeout 300 "$MOEC" tune --op moe --model "$MOE_MODEL" --tp-size "${TUNE_MOE_TP:-1}" --dtype bf16 \
      --batch "$last" --arch "$ARCH" --space "$MOE_SPACE" --compile-only ${PTXAS_ARGS[@]+"${PTXAS_ARGS[@]}"} \
      2>&1 | tee -a "$LOG" | grep compile-only > "$WORK/moe_compile.txt"
  fi
  for b in ${TUNE_MOE_BATCHES:-1 16 256}; do
    log "-- moec tune --op moe $MOE_MODEL tp ${TUNE_MOE_TP:-1} batch $b (budget ${TUNE_MOE_BUDGET:-30} s, $MOE_SPACE)"
    t0=$(date +%s.%N)
    MOEC_CACHE_DIR=$WORK/cache-moe timeout $(( ${TUNE_MOE_BUDGET:-30} + 240 )) "$MOEC" tune --op moe --model "$MOE_MODEL" \
      --tp-size "${TUNE_MOE_TP:-1}" --dtype bf16 --batch "$b" --arch "$ARCH" -o "$WORK/db-moe" --resume \
      --space "$MOE_SPACE" --budget "${TUNE_MOE_BUDGET:-30}" --cut "$CUT" --finalists "$FINALISTS" \
      --json "$WORK/moe-$b.jsonl" --quiet ${PTXAS_ARGS[@]+"${PTXAS_ARGS[@]}"} 2>&1 | tee -a "$LOG" | tail -4
    wall=$(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))")
    log "   process wall time: $wall s"
    python3 - "$WORK/moe-$b.jsonl" "$wall" >> "$WORK/moe.jsonl" <<'PY'
import json, os, sys
p, wall = sys.argv[1], float(sys.argv[2])
for l in (open(p) if os.path.exists(p) else []):
    r = json.loads(l); r["process_wall_s"] = wall; print(json.dumps(r))
PY
    cp "$WORK"/db-moe/E=*.json "$OUT/tune_moe/" 2>/dev/null
    summarize
  done
fi

# 4. Triton tuned over its own config list, same shapes.
if [ "${TUNE_TRITON:-1}" = 1 ] && [ "$ARCH" != host ]; then
  tshapes=$(for s in $SHAPES; do echo -n "${s//,/x},"; done); tshapes=${tshapes%,}
  log "-- Triton tuned over its own config list ($tshapes)"
  t0=$(date +%s.%N)
  TRITON_TUNE_BUDGET_S=${TRITON_TUNE_BUDGET_S:-120} timeout $(( ${TRITON_TUNE_BUDGET_S:-120} + 90 )) python3 benchmarks/triton_tuned_gemm.py --shapes "$tshapes" --out "$OUT" 2>&1 | tee -a "$LOG" | tail -8
  log "   Triton side: $(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))") s"
fi

TUNE_PRINT_SUMMARY=1 summarize
tar -C "$WORK" -czf "$OUT/tune_db.tar.gz" $(cd "$WORK" && ls -d db-* 2>/dev/null) 2>/dev/null
rm -rf "$WORK"
