#!/usr/bin/env bash
# Sparse MLA decode on the H100 (issue 12's benchmarks). Runs from the
# repository root on the GPU machine, with the bundle of scripts/make-bundle.sh:
#
#   OUT=$OUT bash benchmarks/mla_h100.sh
#
# 1. CUDA numerics: `moec run --arch sm_90` of moec.sparse_attention against
#    the float64 reference for every index pattern (random, duplicates, all
#    -1 rows, short windows), h_q 16 and 128, page 1 and 64, d 576/512;
#    and benchmarks/triton_sparse_mla.py --check (the Triton kernel against
#    torch).
# 1b. (step "window") the window short-circuit on CUDA: `moec run --arch
#    sm_90` of moec.sparse_window_indices alone (topk 2048, page 64; tokens
#    1, 64, 1000; the indices compared exactly: identity over windows not
#    longer than topk, -1 past them, longer rows untouched) and in front of
#    sparse_attention (h_q 16 and 128, tokens 1 and 9: the window kernel,
#    then the attention reading its rows, out and lse against float64);
# 2. device copy bandwidth (torch, 1 GiB, bytes read + written);
# 3. h_q 16 and 128, topk 2048, d_qk 576, d_v 512, page 64, bf16, batch
#    1, 8, 64, 256, 1024: moec (`moec bench --arch sm_90`, the best of a
#    config list; each bench first checks numerics) and the Triton kernel of
#    benchmarks/triton_sparse_mla.py (the best of its config grid), both
#    timed as the median of 50 launches after 10 warm-ups, same index
#    pattern (random rows of a cache of min(max(2 topk, batch x topk), 2^20) rows,
#    about 1 in 8 entries -1), effective bandwidth = (gathered KV rows +
#    q + out + lse bytes) / time. moec splits the KV range (split-KV with
#    its merge kernel, counted in its time) at small batches; the Triton
#    kernel does not split.
# Writes $OUT/mla_h100$MLA_TAG.md (tables, ratios), $OUT/mla_h100$MLA_TAG.json
# (every measurement) and $OUT/mla_h100${MLA_TAG}_log.txt. A full run takes
# about 12 minutes; under a 10-minute limit run it in two parts, e.g.
#   MLA_HQ=16 MLA_TAG=_h16 ...; MLA_HQ=128 MLA_NUMERICS=0 MLA_TAG=_h128 ...
# MLA_STEPS picks the steps (default "numerics window copy bench"; e.g.
# MLA_STEPS=window for the window numerics alone).
#
# MLA_KV=fp8: DeepSeek-V3.2's fp8 KV cache (kv_format fp8_ds_mla: 656-byte
# rows of 512 e4m3fn codes, 4 f32 scales, 64 bf16 rope). Step 1 runs the
# same numerics cases on the fp8 cache (moec run generates it in that
# layout; the reference reads K = bf16(code x scale)); step 3 times moec on
# the fp8 cache and on the bf16 cache of the same shape, same configs (the
# quick list unless MLA_CONFIGS says otherwise), no Triton; effective
# bandwidth counts 656 bytes per gathered fp8 row (1152 bf16). Default
# steps then "numerics copy bench"; writes $OUT/mla_h100_fp8$MLA_TAG.*.
# Under a 10-minute limit: MLA_KV=fp8 MLA_HQ=16 MLA_TAG=_h16 ..., then
# MLA_KV=fp8 MLA_HQ=128 MLA_NUMERICS=0 MLA_TAG=_h128 ....
# Environment: MOEC_BIN_DIR (default /tmp/moec/bin, extracted from
# bundle/moec-bundle.tar.xz when missing), MLA_BATCHES, MLA_HQ, MLA_QUICK=1
# (fewer configs on both sides), MLA_CONFIGS ("bh,bkv,warps,stages[,1] ..."
# for moec; a fifth field 1 adds --async-copy), MLA_ARCH (sm_90), MLA_NUMERIC_TOPK (2048),
# MLA_BENCH_FLAGS (extra moec bench flags, e.g. --repeat 5), MLA_NUMERICS=0
# (skip step 1), MLA_TAG (suffix of the output files).
set -uo pipefail
. "$(dirname "$0")/device-env.sh" mla_h100
BATCHES=${MLA_BATCHES:-"1 8 64 256 1024"}
HQS=${MLA_HQ:-"16 128"}
QUICK=${MLA_QUICK:-0}
ARCH=${MLA_ARCH:-sm_90}   # host: a dry run of the moec side without a GPU
WORK=$(mktemp -d)
KV=${MLA_KV:-bf16}
case "$KV" in bf16|fp8) ;; *) echo "MLA_KV=$KV: bf16 or fp8" >&2; exit 2 ;; esac
TAG=$([ "$KV" = fp8 ] && echo _fp8)${MLA_TAG:-}
LOG=$OUT/mla_h100${TAG}_log.txt
RES=$OUT/mla_h100${TAG}.json
: > "$LOG"; : > "$RES"
log() { echo "$*" | tee -a "$LOG"; }
status=0
if [ "$KV" = fp8 ]; then STEPS=${MLA_STEPS:-numerics copy bench}
else STEPS=${MLA_STEPS:-numerics window copy bench}; fi
has_step() { case " $STEPS " in *" $1 "*) return 0 ;; esac; return 1; }

# mla_file H_Q PAGE TOPK -> a function file for that shape (tokens dynamic),
# with a split-KV workspace: moec bench splits (at most kv_splits = 32) only
# where tokens x head groups leave SMs idle (SparseAttentionPlan::kvSplitsFor
# with the H100's 132 SMs) and reports the splits it used.
# A fourth argument fp8 gives the fp8_ds_mla cache (656-byte rows, i8).
mla_file() {
  local h=$1 page=$2 topk=$3 kvk=${4:-bf16} f=$WORK/mla_h$1_p$2_k$3_${4:-bf16}.mlir
  local kvt="memref<?x${page}x576xbf16>" fmt=""
  if [ "$kvk" = fp8 ]; then
    kvt="memref<?x${page}x656xi8>"; fmt=" kv_format = #moec.kv_format<fp8_ds_mla>,"
  fi
  cat > "$f" <<EOF
func.func @mla(%q: memref<?x${h}x576xbf16>, %kv: ${kvt},
               %idx: memref<?x${topk}xi32>, %out: memref<?x${h}x512xbf16>,
               %lse: memref<?x${h}xf32>, %ws: memref<?x?x513xf32>) {
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x${h}xf32>)
      workspace(%ws : memref<?x?x513xf32>) {
    scale = 0.0721687836 : f32,${fmt} config = #moec.config<kv_splits = 32>
  } : memref<?x${h}x576xbf16>, ${kvt}, memref<?x${topk}xi32>
      -> memref<?x${h}x512xbf16>
  return
}
EOF
  echo "$f"
}

T0=$SECONDS
step() { log "-- [$((SECONDS - T0)) s] $*"; }
log "== sparse MLA decode ($KV KV cache) on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"

# 1. Numerics.
if [ "${MLA_NUMERICS:-1}" = 1 ] && has_step numerics; then
step "numerics: moec run --arch $ARCH"
# Every index pattern at page 64 (tokens 1: the plan splits the KV range;
# tokens 3: --sizes splits=1, no split; tokens 3 again through the cp.async
# pipeline), one random case at page 1: 26 runs, each a compile, a PTX
# load, a launch and the float64 check.
for h in 16 128; do
  for spec in "64 random" "64 duplicates" "64 invalid" "64 window" "1 random"; do
    set -- $spec; page=$1; pat=$2
    f=$(mla_file "$h" "$page" "${MLA_NUMERIC_TOPK:-2048}" "$KV")
    for run in 1 3 3a; do
      tokens=${run%a}
      [ "$page" = 1 ] && [ "$tokens" = 3 ] && continue
      sp=$([ "$tokens" = 1 ] || echo ",splits=1")
      # 3a: the cp.async KV pipeline (--async-copy, 3 stages).
      ac=$([ "$run" = 3a ] && echo "--async-copy --num-stages 3")
      line=$(timeout 120 "$MOEC" run "$f" --arch "$ARCH" --sizes tokens=$tokens$sp \
               --index-pattern $pat --seed $tokens $ac 2>&1 | tail -1)
      echo "$line" >> "$LOG"
      case "$line" in *"-> PASS"*) r=PASS ;; *) r=FAIL; status=1 ;; esac
      echo "{\"kind\": \"numerics\", \"impl\": \"moec\", \"kv\": \"$KV\", \"h_q\": $h, \"page\": $page, \"pattern\": \"$pat\", \"tokens\": $tokens, \"async\": $([ "$run" = 3a ] && echo true || echo false), \"result\": \"$r\"}" >> "$RES"
      [ $r = PASS ] || log "FAIL moec run h_q=$h page=$page $pat tokens=$tokens: $line"
    done
  done
done
log "   $(grep -c '"numerics", "impl": "moec".*PASS' "$RES") moec numerics cases passed, $(grep -c '"numerics", "impl": "moec".*FAIL' "$RES") failed"
if [ "$KV" = fp8 ]; then
  : # the Triton kernel reads a bf16 cache only
elif timeout 300 python3 benchmarks/triton_sparse_mla.py --check >> "$LOG" 2>&1; then
  log "   triton check: PASS"
else
  log "   triton check: FAIL (see log)"; status=1
fi
fi

# 1b. The window short-circuit: sparse_window_indices alone and in front of
# the attention.
window_case() { # label file tokens
  local line r
  line=$(timeout 120 "$MOEC" run "$2" --arch "$ARCH" --sizes tokens=$3 --seed 7 2>&1 | tail -1)
  echo "$line" >> "$LOG"
  case "$line" in *"-> PASS"*) r=PASS ;; *) r=FAIL; status=1 ;; esac
  echo "{\"kind\": \"numerics\", \"impl\": \"moec-window\", \"case\": \"$1\", \"tokens\": $3, \"result\": \"$r\"}" >> "$RES"
  [ $r = PASS ] || log "FAIL moec run $1 tokens=$3: $line"
}
if has_step window; then
  step "window short-circuit: moec run --arch $ARCH"
  wf=$WORK/window.mlir
  cat > "$wf" <<EOF
func.func @window(%lens: memref<?xi32>, %bt: memref<?x?xi32>, %idx: memref<?x2048xi32>) {
  moec.sparse_window_indices %lens, %bt -> %idx
    {page_size = 64 : i64, config = #moec.config<>}
    : memref<?xi32>, memref<?x?xi32> -> memref<?x2048xi32>
  return
}
EOF
  for tokens in 1 64 1000; do window_case "window-only topk=2048 page=64" "$wf" $tokens; done
  for h in 16 128; do
    cf=$WORK/window_mla_h$h.mlir
    cat > "$cf" <<EOF
func.func @mla_window(%lens: memref<?xi32>, %bt: memref<?x?xi32>,
                      %q: memref<?x${h}x576xbf16>, %kv: memref<?x64x576xbf16>,
                      %idx: memref<?x2048xi32>, %out: memref<?x${h}x512xbf16>,
                      %lse: memref<?x${h}xf32>, %ws: memref<?x?x513xf32>) {
  moec.sparse_window_indices %lens, %bt -> %idx
    {page_size = 64 : i64, config = #moec.config<>}
    : memref<?xi32>, memref<?x?xi32> -> memref<?x2048xi32>
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x${h}xf32>)
      workspace(%ws : memref<?x?x513xf32>) {
    scale = 0.0721687836 : f32, config = #moec.config<kv_splits = 32>
  } : memref<?x${h}x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32>
      -> memref<?x${h}x512xbf16>
  return
}
EOF
    for tokens in 1 9; do window_case "window+attention h_q=$h topk=2048 page=64" "$cf" $tokens; done
  done
  log "   $(grep -c '"moec-window".*PASS' "$RES") window cases passed, $(grep -c '"moec-window".*FAIL' "$RES") failed"
fi

# 2. Copy bandwidth.
if has_step copy; then
step "copy bandwidth"
python3 benchmarks/triton_sparse_mla.py --copy --json "$RES" 2>>"$LOG" | tee -a "$LOG"
fi

# 3. moec and Triton per shape.
has_step bench || HQS=""
if [ -n "${MLA_CONFIGS:-}" ]; then
  CONFIGS=$MLA_CONFIGS; TQ=$([ "$QUICK" = 1 ] && echo --quick)
elif [ "$QUICK" = 1 ] || [ "$KV" = fp8 ]; then
  CONFIGS="16,32,4,2 32,32,4,2 64,32,8,2 16,64,4,1"
  TQ=--quick
else
  CONFIGS="16,32,4,2 16,32,4,1 16,32,8,2 16,64,4,2 16,64,8,2 16,16,4,2 32,32,4,2 32,32,8,2 32,64,8,2 64,32,8,2 64,16,4,2 16,32,4,3"
  TQ=
fi
# With MLA_KV=fp8 each shape is timed on the fp8 cache and on the bf16 one.
KINDS=$([ "$KV" = fp8 ] && echo "fp8 bf16" || echo bf16)
for h in $HQS; do
  for b in $BATCHES; do
  for kvk in $KINDS; do
    f=$(mla_file "$h" 64 2048 "$kvk")
    step "h_q=$h batch=$b kv=$kvk"
    bestMs=""; bestCfg=""
    for c in $CONFIGS; do
      IFS=, read -r bh bkv w s a <<< "$c"
      extra=$([ "${a:-0}" = 1 ] && echo --async-copy)
      [ "$bh" -le "$h" ] || [ "$bh" = 16 ] || continue
      j=$WORK/moec.jsonl; : > "$j"
      timeout 180 "$MOEC" bench "$f" --arch "$ARCH" --sizes tokens=$b --seed 1 \
        --block-h "$bh" --block-kv "$bkv" --num-warps "$w" --num-stages "$s" $extra \
        ${MLA_BENCH_FLAGS:-} --json "$j" >> "$LOG" 2>&1 || { echo "   moec config $c failed at h_q=$h batch=$b" >> "$LOG"; continue; }
      ms=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["ms"])' "$j" 2>/dev/null) || continue
      if [ -z "$bestMs" ] || python3 -c "import sys; sys.exit(0 if $ms < $bestMs else 1)"; then
        bestMs=$ms; bestCfg=$c; cp "$j" "$WORK/best.jsonl"
      fi
    done
    if [ -n "$bestMs" ]; then
      python3 - "$bestCfg" "$WORK/best.jsonl" "$kvk" >> "$RES" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[2]).readline())
bh, bkv, w, s = sys.argv[1].split(",")[:4]
asyncCopy = sys.argv[1].split(",")[4:5] == ["1"]
print(json.dumps({"impl": "moec", "kv": sys.argv[3], "tokens": r["tokens"], "h_q": r["h_q"], "topk": r["topk"],
                  "d_qk": r["d_qk"], "d_v": r["d_v"], "page": r["page"], "ms": r["ms"],
                  "gbps": r["gbps"], "splits": r.get("splits", 1),
                  "config": "block_h={} block_kv={} num_warps={} num_stages={}{} splits={}".format(
                      bh, bkv, w, s, " async_copy" if asyncCopy else "", r.get("splits", 1))}))
EOF
      log "   moec  h_q=$h batch=$b kv=$kvk: $(tail -1 "$RES")"
    else
      log "   moec  h_q=$h batch=$b kv=$kvk: no config ran"; status=1
    fi
  done
    [ "$KV" = fp8 ] && continue
    timeout 400 python3 benchmarks/triton_sparse_mla.py --bench $TQ --h-q "$h" --batch "$b" \
      --json "$RES" 2>>"$LOG" | tail -1 | sed 's/^/   triton /' | tee -a "$LOG"
  done
done

# Tables.
step "done"
python3 - "$RES" "$KV" > "$OUT/mla_h100${TAG}.md" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if sys.argv[2] == "fp8":
    copy = next((r["gbps"] for r in rows if r.get("impl") == "copy"), None)
    num = [r for r in rows if r.get("kind") == "numerics"]
    print("# Sparse MLA decode, fp8 KV cache (fp8_ds_mla), on the H100 (benchmarks/mla_h100.sh, MLA_KV=fp8)\n")
    print("Numerics (moec run --arch sm_90, fp8_ds_mla cache vs float64 over K = bf16(code x scale)): "
          "{} passed, {} failed.\n".format(sum(r["result"] == "PASS" for r in num),
                                          sum(r["result"] != "PASS" for r in num)))
    if copy:
        print("Device copy bandwidth (1 GiB, read + written): {:.0f} GB/s.\n".format(copy))
    print("topk 2048, d_qk 576, d_v 512, page 64; effective bandwidth = (gathered KV rows x "
          "656 bytes (fp8) or 1152 (bf16) + q + out + lse) / median time; best of the same "
          "config list for both.\n")
    print("| h_q | batch | fp8 ms | fp8 GB/s | fp8 % copy | fp8 config | bf16 ms | bf16 GB/s | bf16 config | bf16 ms / fp8 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    key = lambda r: (r["h_q"], r["tokens"])
    f8 = {key(r): r for r in rows if r.get("impl") == "moec" and r.get("kv") == "fp8" and "ms" in r}
    b16 = {key(r): r for r in rows if r.get("impl") == "moec" and r.get("kv") == "bf16" and "ms" in r}
    for k in sorted(set(f8) | set(b16)):
        a, b = f8.get(k), b16.get(k)
        f = lambda r, x, fmt: fmt.format(r[x]) if r else "-"
        pct = "{:.0f}%".format(100 * a["gbps"] / copy) if a and copy else "-"
        ratio = "{:.2f}x".format(b["ms"] / a["ms"]) if a and b else "-"
        print("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            k[0], k[1], f(a, "ms", "{:.4f}"), f(a, "gbps", "{:.0f}"), pct, f(a, "config", "{}"),
            f(b, "ms", "{:.4f}"), f(b, "gbps", "{:.0f}"), f(b, "config", "{}"), ratio))
    sys.exit(0)
copy = next((r["gbps"] for r in rows if r.get("impl") == "copy"), None)
num = [r for r in rows if r.get("kind") == "numerics" and r.get("impl") == "moec"]
win = [r for r in rows if r.get("kind") == "numerics" and r.get("impl") == "moec-window"]
print("# Sparse MLA decode on the H100 (benchmarks/mla_h100.sh)\n")
print("Numerics (moec run --arch sm_90 vs float64): {} passed, {} failed.\n".format(
    sum(r["result"] == "PASS" for r in num), sum(r["result"] != "PASS" for r in num)))
if win:
    print("Window short-circuit (moec run --arch sm_90: sparse_window_indices exact, and "
          "in front of sparse_attention vs float64): {} passed, {} failed ({}).\n".format(
        sum(r["result"] == "PASS" for r in win), sum(r["result"] != "PASS" for r in win),
        "; ".join("{} tokens={}: {}".format(r["case"], r["tokens"], r["result"]) for r in win)))
if copy:
    print("Device copy bandwidth (1 GiB, read + written): {:.0f} GB/s.\n".format(copy))
print("topk 2048, d_qk 576, d_v 512, page 64, bf16; effective bandwidth = "
      "(gathered KV + q + out + lse bytes) / median time.\n")
print("| h_q | batch | moec ms | moec GB/s | % copy | moec config | Triton ms | Triton GB/s | Triton config | moec / Triton speed |")
print("|---|---|---|---|---|---|---|---|---|---|")
key = lambda r: (r["h_q"], r["tokens"])
m = {key(r): r for r in rows if r.get("impl") == "moec" and "ms" in r}
t = {key(r): r for r in rows if r.get("impl") == "triton" and "ms" in r}
for k in sorted(set(m) | set(t)):
    a, b = m.get(k), t.get(k)
    f = lambda r, x, fmt: fmt.format(r[x]) if r else "-"
    pct = "{:.0f}%".format(100 * a["gbps"] / copy) if a and copy else "-"
    ratio = "{:.2f}x".format(b["ms"] / a["ms"]) if a and b else "-"
    print("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
        k[0], k[1], f(a, "ms", "{:.4f}"), f(a, "gbps", "{:.0f}"), pct,
        f(a, "config", "{}"), f(b, "ms", "{:.4f}"), f(b, "gbps", "{:.0f}"),
        f(b, "config", "{}"), ratio))
EOF
cat "$OUT/mla_h100${TAG}.md" | tee -a "$LOG"
rm -rf "$WORK"
exit $status
