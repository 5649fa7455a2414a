# Sourced by the H100 benchmark scripts (mla_h100.sh, moe_h100.sh,
# tune_mla_h100.sh, tune_h100.sh, wgmma_h100.sh) after `set -uo pipefail`,
# with the calling script's name in $1: goes to the repository root and
# sets ROOT, OUT (created; default ./device-out), BIN and MOEC
# (MOEC_BIN_DIR, default /tmp/moec/bin, the bundle of
# scripts/make-bundle.sh unpacked there when missing) and LD_LIBRARY_PATH;
# exits 2 when there is no moec.
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
[ -x "$MOEC" ] || { echo "$1: no moec at $MOEC" >&2; exit 2; }
export LD_LIBRARY_PATH="$(dirname "$BIN")/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
