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
# Writes under $OUT:
#   mla_tune.md            the tables (tuned configs, times, speed-ups)
#   mla_tune.json          one JSON line per tuned shape (moec tune --json)
#                          and per bench
#   mla_tune_log.txt       everything moec printed
#   mla_tune_db/           the database files (op=sparse_mla,...json,
#                          keys = tokens) to put under $MOEC_TUNING_DB
#   mla_table_rows.def     a MOEC_MLA_ROW line per tuned shape, ready for
#                          lib/Tuning/SparseMlaConfigs.def (the sm_90 rows)
# Budget: with the defaults (25 s per shape, 10 shapes, the bench on) about
# 6-7 minutes on the H100: one call under a 10-minute limit. To split it,
# MLA_TUNE_HQ=16 MLA_TUNE_TAG=_h16, then 128 (the rows of each then cover
# every h_q: edit their h_q ranges before pasting them).
# Environment: MOEC_BIN_DIR (default /tmp/moec/bin, extracted from
# bundle/moec-bundle.tar.xz when missing), MLA_TUNE_HQ ("16 128"),
# MLA_TUNE_BATCHES ("1 8 64 256 1024"), MLA_TUNE_TOPK (2048), MLA_TUNE_PAGE
# (64), MLA_TUNE_BUDGET (25), MLA_TUNE_SPACE
# (benchmarks/tune/space_mla_sm90.json), MLA_TUNE_BENCH (1), MLA_ARCH
# (sm_90; host: a dry run without a GPU), MLA_TUNE_TAG (suffix of the
# output files), MLA_TUNE_FLAGS (more moec tune flags, e.g. --ptxas PATH).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
OUT=${OUT:-$ROOT/device-out}
mkdir -p "$OUT"
BIN=${MOEC_BIN_DIR:-/tmp/moec/bin}
if [ ! -x "$BIN/moec" ] && [ -f "$ROOT/bundle/moec-bundle.tar.xz" ]; then
  mkdir -p /tmp/moec && tar -C /tmp/moec -xJf "$ROOT/bundle/moec-bundle.tar.xz"
  BIN=/tmp/moec/bin
fi
MOEC=$BIN/moec
[ -x "$MOEC" ] || { echo "tune_mla_h100: no moec at $MOEC" >&2; exit 2; }
export LD_LIBRARY_PATH="$(dirname "$BIN")/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
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

# Tables.
step "done"
python3 - "$RES" "$ROWS" "$TOPK" "$PAGE" "$BUDGET" > "$OUT/mla_tune${TAG}.md" <<'PY'
import json, sys
res, rows, topk, page, budget = sys.argv[1:6]
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
print("\n## Table rows (for lib/Tuning/SparseMlaConfigs.def)\n\n```")
print(open(rows).read().rstrip())
print("```")
PY
cat "$OUT/mla_tune${TAG}.md" | tee -a "$LOG"
rm -rf "$WORK"
exit $status
