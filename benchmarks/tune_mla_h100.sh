#!/usr/bin/env bash
# moec tune --op attention on the H100 (issue 12 item 3): sparse MLA decode
# tuned per decode shape, and the runtime's choice with and without the
# tuned database. From the repository root on the GPU machine, with the
# bundle of scripts/make-bundle.sh:
#
#   OUT=$OUT bash benchmarks/tune_mla_h100.sh
#
# 1. `moec tune --op attention --arch sm_90` for h_q 16 and 128, topk 2048,
#    d_qk 576, d_v 512, page 64, bf16, batch 1, 8, 64, 256, 1024: the space
#    benchmarks/tune/space_mla_sm90.json (block_h, block_kv, num_warps,
#    num_stages, kv_splits; 270 points before pruning for the shape), the
#    per-shape table's row as the first seed, a budget of $MLA_TUNE_BUDGET
#    seconds per shape (--budget $MLA_TUNE_BUDGET x the batches: moec tune
#    starts one tuner, and its clock, per h_q; no candidate is started past
#    it, the one in flight and the re-timing/verify of the finalists still
#    run; the first batch compiles, later ones are mostly kernel cache
#    hits), each winner checked against the float64 reference. One process (a cold kernel
#    cache at the first batch of each h_q; later batches reuse the kernels:
#    tokens are dynamic); its table rows split the h_q range between the
#    tuned values (h_q 16: up to 16, h_q 128: 17 and up).
# 2. (MLA_TUNE_BENCH=1) `moec bench` of each shape with no config given:
#    once with MOEC_TUNING_DB = the tuned files (the runtime takes the tuned
#    entry) and once without (the runtime takes the table's row), both
#    checked against float64 first, same seed and index pattern; the
#    speed-up of the tuned entry over the table's row.
# 3. (MLA_TUNE_JIT=1) benchmarks/mla_jit_h100.py: moec.sparse_mla_decode
#    (the JIT, Python over libmoec.so, torch tensors) at h_q 16/128, batch 1,
#    8, 64 against a float64 torch reference, once with MOEC_TUNING_DB = the
#    tuned files (config source "tuning database") and once without (the
#    table: "heuristic"), with the wall time of a cache-hit call.
# Writes under $OUT:
#   mla_tune.md            the tables (tuned configs, times, speed-ups)
#   mla_tune.json          one JSON line per tuned shape (moec tune --json)
#                          and per bench
#   mla_tune_log.txt       everything moec printed
#   mla_tune_db/           the database files (op=sparse_mla,...json,
#                          keys = tokens) to put under $MOEC_TUNING_DB
#   mla_jit.jsonl          step 3: one line per JIT case (with the tag)
#   mla_table_rows.def     a MOEC_MLA_ROW line per tuned shape, ready for
#                          lib/Tuning/SparseMlaConfigs.def (the sm_90 rows)
# Duration (estimated from the host dry run and the compile-only rate here,
# not yet measured on the H100): per h_q the tuner's budget is 5 x 25 s =
# 125 s (the sm_90 space is 128 candidates at h_q 16 and about 380 at h_q
# 128 after pruning; compiling them takes ~40 s on 2 cores here, a few
# seconds on the H100 machine's 16), plus ~30 s of inputs and float64
# checks; the bench step ~5 s per run (10 per h_q), the JIT step ~30 s per
# h_q. MLA_TUNE_HQ=16 alone: about 4-5 minutes, one 10-minute device call.
# Both h_q in one call: about 8-9 minutes, too close to 10: split it,
#   MLA_TUNE_HQ=16 MLA_TUNE_TAG=_h16 ..., then MLA_TUNE_HQ=128 MLA_TUNE_TAG=_h128
# (the rows of a one-h_q run cover every h_q: edit their h_q ranges before
# pasting them), or shorten it with MLA_TUNE_BUDGET=15 / MLA_TUNE_BENCH=0 /
# MLA_TUNE_JIT=0.
# Environment: MOEC_BIN_DIR (default /tmp/moec/bin, extracted from
# bundle/moec-bundle.tar.xz when missing), MLA_TUNE_HQ ("16 128"),
# MLA_TUNE_BATCHES ("1 8 64 256 1024"), MLA_TUNE_TOPK (2048), MLA_TUNE_PAGE
# (64), MLA_TUNE_BUDGET (25), MLA_TUNE_SPACE
# (benchmarks/tune/space_mla_sm90.json), MLA_TUNE_BENCH (1), MLA_TUNE_JIT
# (1), MLA_ARCH
# (sm_90; host: a dry run without a GPU), MLA_TUNE_TAG (suffix of the
# output files), MLA_TUNE_FLAGS (more moec tune flags, e.g. --ptxas PATH).
set -uo pipefail
. "$(dirname "$0")/device-env.sh" tune_mla_h100
ARCH=${MLA_ARCH:-sm_90}
HQS=${MLA_TUNE_HQ:-"16 128"}
BATCHES=${MLA_TUNE_BATCHES:-"1 8 64 256 1024"}
TOPK=${MLA_TUNE_TOPK:-2048}
PAGE=${MLA_TUNE_PAGE:-64}
BUDGET=${MLA_TUNE_BUDGET:-25}
SPACE=${MLA_TUNE_SPACE:-benchmarks/tune/space_mla_sm90.json}
TAG=${MLA_TUNE_TAG:-}
WORK=$(mktemp -d)
LOG=$OUT/mla_tune${TAG}_log.txt
RES=$OUT/mla_tune${TAG}.json
DB=$OUT/mla_tune_db
ROWS=$OUT/mla_table_rows${TAG}.def
mkdir -p "$DB"
: > "$LOG"; : > "$RES"; : > "$ROWS"
log() { echo "$*" | tee -a "$LOG"; }
T0=$SECONDS
step() { log "-- [$((SECONDS - T0)) s] $*"; }
status=0
NB=$(echo $BATCHES | wc -w)
log "== moec tune --op attention on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1) ($ARCH)"

# 1. Tune: one process for every h_q (so the table rows it prints split the
# h_q range between the tuned values).
HQLIST=$(echo $HQS | tr ' ' ,)
NH=$(echo $HQS | wc -w)
step "tune h_q=$HQLIST topk=$TOPK page=$PAGE batch $BATCHES ($SPACE, --budget $((BUDGET * NB))s per h_q)"
MOEC_CACHE_DIR=$WORK/cache timeout $(( (BUDGET + 30) * NB * NH + 60 )) "$MOEC" tune --op attention \
  --arch "$ARCH" --q-heads "$HQLIST" --topk "$TOPK" --page "$PAGE" --batch "$(echo $BATCHES | tr ' ' ,)" \
  --space "$SPACE" --budget "$((BUDGET * NB))s" --json "$RES" --quiet -o "$WORK/db" ${MLA_TUNE_FLAGS:-} \
  > "$WORK/tune.txt" 2>> "$LOG"
rc=$?
cat "$WORK/tune.txt" >> "$LOG"
grep -E '^tokens|^  best|^tuned' "$WORK/tune.txt"
[ $rc = 0 ] || { log "FAIL moec tune exited $rc"; status=1; }
# Each "table row:" line and the line after it.
awk '/^  table row: /{sub(/^  table row: /, ""); print; getline; print}' "$WORK/tune.txt" >> "$ROWS"
cp "$WORK/db"/op=sparse_mla,*.json "$DB/" 2>/dev/null
log "   database files: $(ls "$DB" | tr '\n' ' ')"

# 2. The runtime's choice with and without the database.
if [ "${MLA_TUNE_BENCH:-1}" = 1 ]; then
  for h in $HQS; do
    f=$WORK/mla_h$h.mlir
    cat > "$f" <<EOF
func.func @mla(%q: memref<?x${h}x576xbf16>, %kv: memref<?x${PAGE}x576xbf16>,
               %idx: memref<?x${TOPK}xi32>, %out: memref<?x${h}x512xbf16>,
               %lse: memref<?x${h}xf32>, %ws: memref<?x?x513xf32>) {
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x${h}xf32>)
      workspace(%ws : memref<?x?x513xf32>) {
    scale = 0.0721687836 : f32
  } : memref<?x${h}x576xbf16>, memref<?x${PAGE}x576xbf16>, memref<?x${TOPK}xi32>
      -> memref<?x${h}x512xbf16>
  return
}
EOF
    for b in $BATCHES; do
      for src in tuned table; do
        step "bench h_q=$h batch=$b config from the $src"
        j=$WORK/bench.jsonl; : > "$j"
        if [ $src = tuned ]; then db=$DB; else db=; fi
        line=$(MOEC_TUNING_DB=$db timeout 240 "$MOEC" bench "$f" --arch "$ARCH" --sizes tokens=$b \
                 --seed 1 --verbose --json "$j" 2>&1 | tee -a "$LOG" | grep -E 'no config given|-> (PASS|FAIL)|^bench' | tr '\n' ' ')
        case "$line" in *"-> PASS"*) ;; *) log "FAIL bench h_q=$h batch=$b ($src): $line"; status=1 ;; esac
        python3 - "$j" "$src" "$line" >> "$RES" <<'PY'
import json, sys, re
p, src, line = sys.argv[1:4]
rows = [json.loads(l) for l in open(p) if l.strip()]
if rows:
    r = rows[0]
    m = re.search(r"no config given; (#moec\.config<[^>]*>) from the (.*?)(?= mla| bench|$)", line)
    r.update({"kind": "bench", "source": src, "chosen": m.group(1) if m else r.get("config"),
              "why": m.group(2).strip() if m else ""})
    print(json.dumps(r))
PY
      done
    done
  done
fi

# 3. The JIT entry with and without the database.
if [ "${MLA_TUNE_JIT:-1}" = 1 ] && [ "$ARCH" = sm_90 ]; then
  MDIR=$(dirname "$BIN")
  if [ -f "$MDIR/lib/libmoec.so" ]; then
    : > "$OUT/mla_jit${TAG}.jsonl"
    for src in tuned table; do
      if [ $src = tuned ]; then db=$DB; else db=; fi
      step "JIT sparse_mla_decode (config from the $src)"
      MOEC_TUNING_DB=$db MOEC_LIBRARY="$MDIR/lib/libmoec.so" PYTHONPATH="$MDIR/python" \
        MOEC_CACHE_DIR=$WORK/cache-jit timeout 300 python3 benchmarks/mla_jit_h100.py \
        --heads "$HQLIST" --topk "$TOPK" --page "$PAGE" --json "$OUT/mla_jit${TAG}.jsonl" 2>&1 \
        | tee -a "$LOG" | tail -6 \
        || true
    done
    grep -q '"FAIL"' "$OUT/mla_jit${TAG}.jsonl" && { log "FAIL: a JIT case (see mla_jit.jsonl)"; status=1; }
    grep -c '"PASS"' "$OUT/mla_jit${TAG}.jsonl" | sed 's/^/   JIT cases passed: /' | tee -a "$LOG"
  else
    log "   no $MDIR/lib/libmoec.so: JIT step skipped"
  fi
fi

# Tables.
step "done"
python3 - "$RES" "$ROWS" "$TOPK" "$PAGE" "$BUDGET" "$OUT/mla_jit${TAG}.jsonl" > "$OUT/mla_tune${TAG}.md" <<'PY'
import json, os, sys
res, rows, topk, page, budget, jitp = sys.argv[1:7]
lines = [json.loads(l) for l in open(res) if l.strip()]
tuned = [r for r in lines if "tokens" in r and "best" in r or r.get("status") == "none"]
bench = [r for r in lines if r.get("kind") == "bench"]
print("# Sparse MLA decode tuned by `moec tune --op attention` (benchmarks/tune_mla_h100.sh)\n")
print("topk %s, d_qk 576, d_v 512, page %s, bf16; --budget %s s per shape; the winner checked "
      "against float64; `best seed` is the best of the seeds (the per-shape table's row first, "
      "then the space file's) timed in the same final round.\n" % (topk, page, budget))
print("| h_q | batch | tuned config | tuned us | best seed | seed us | tuned / seed speed | candidates | compiled / cache hits | cut | timed | wrong | complete | wall s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in sorted(tuned, key=lambda r: (r.get("h_q", 0), r.get("tokens", 0))):
    c = r.get("config", {})
    cfg = "h%s kv%s w%s s%s x%s" % (c.get("block_h"), c.get("block_kv"), c.get("num_warps"),
                                    c.get("num_stages"), c.get("kv_splits")) if c else "-"
    sc = r.get("seed_config", {})
    scfg = "h%s kv%s w%s s%s x%s" % (sc.get("block_h"), sc.get("block_kv"), sc.get("num_warps"),
                                     sc.get("num_stages"), sc.get("kv_splits")) if sc else "-"
    sp = "%.3fx" % (r["best_seed_us"] / r["best_us"]) if r.get("best_us") and r.get("best_seed_us") else "-"
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s/%s | %s | %s | %s | %s | %.1f |" % (
        r.get("h_q"), r.get("tokens"), cfg, "%.1f" % r["best_us"] if "best_us" in r else "-", scfg,
        "%.1f" % r["best_seed_us"] if "best_seed_us" in r else "-", sp, r.get("candidates"),
        r.get("compiled"), r.get("cache_hits"), r.get("cut"), r.get("timed"), r.get("wrong"),
        r.get("complete"), r.get("wall_s", 0)))
if bench:
    print("\n## The runtime's choice (`moec bench`, no config given): tuned database vs the table's row\n")
    print("| h_q | batch | source | config chosen | why | ms | GB/s | splits | tuned / table speed |")
    print("|---|---|---|---|---|---|---|---|---|")
    by = {(r["h_q"], r["tokens"], r["source"]): r for r in bench}
    for (h, t, s) in sorted(by):
        r = by[(h, t, s)]
        other = by.get((h, t, "table"))
        sp = "%.3fx" % (other["ms"] / r["ms"]) if s == "tuned" and other else ""
        print("| %s | %s | %s | `%s` | %s | %.4f | %.0f | %s | %s |" % (
            h, t, s, r.get("chosen"), r.get("why", "")[:90], r["ms"], r["gbps"], r.get("splits", 1), sp))
jit = [json.loads(l) for l in open(jitp) if l.strip()] if os.path.exists(jitp) else []
if jit:
    print("\n## The JIT (`moec.sparse_mla_decode`, torch tensors) vs a float64 torch reference\n")
    print("| h_q | batch | result | max rel err | max lse err | config source | config | cache-hit call us |")
    print("|---|---|---|---|---|---|---|---|")
    for r in jit:
        print("| %s | %s | %s | %.2e | %.2e | %s | `%s` | %.1f |" % (
            r["h_q"], r["tokens"], r["result"], r["rel_err"], r["lse_err"],
            r["config_source"], r["config"], r["call_us"]))
print("\n## Table rows (for lib/Tuning/SparseMlaConfigs.def)\n\n```")
print(open(rows).read().rstrip())
print("```")
PY
cat "$OUT/mla_tune${TAG}.md" | tee -a "$LOG"
rm -rf "$WORK"
exit $status
