#!/usr/bin/env bash
# Load does not copy weights: builds a BERT-base-shaped float model (random init, Hugging Face directory with
# safetensors, ~420 MiB), compresses it with qcompress, and measures RSS (RssAnon / RssFile / peak) of a fresh process
# before Model::Load, after it, after Session::Create and after one inference (batch 1, seq 128).
# Writes $QC_EXP_WORK/load-memory.md and docs/results/load-memory.md.
#
#   tools/experiments/load_memory.sh [--runs N] [--no-doc]
#
# Needs a build (common.sh: QC_BUILD_DIR; its runtime/libqcompress.a is linked into the measuring program with g++)
# and the PyPI virtualenv (QC_EXP_VENV) to write the checkpoint. Not part of CI.
# QC_EXP_WORK: scratch folder (default /tmp/qc-exp-load-memory); the checkpoint is reused when present.
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

runs=3
doc="$repo/docs/results/load-memory.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --no-doc) doc=""; shift ;;
    *) echo "usage: $0 [--runs N] [--no-doc]" >&2; exit 2 ;;
  esac
done

qc_find_build
qc_ensure_venv --base
data="$(qc_shared_data)" || data=""
work="${QC_EXP_WORK:-/tmp/qc-exp-load-memory}"
mkdir -p "$work"
exp="$repo/tools/experiments"

# 1. The checkpoint (deterministic: reused while the generator is unchanged).
ckpt="$work/bert-base"
stamp="$(sha256sum "$exp/make_bert_base.py" | cut -d' ' -f1)"
if [ ! -f "$ckpt/model.safetensors" ] || [ "$(cat "$ckpt/.generator-sha256" 2>/dev/null)" != "$stamp" ]; then
  vocab=()
  [ -n "$data" ] && [ -f "$data/bert-base-uncased/vocab.txt" ] && vocab=(--vocab "$data/bert-base-uncased/vocab.txt")
  HF_HUB_OFFLINE=1 "$py" "$exp/make_bert_base.py" "$ckpt" "${vocab[@]}"
  echo "$stamp" > "$ckpt/.generator-sha256"
fi

# 2. The .qm.
qm="$work/bert-base.qm"
compress_out="$("$qcompress" "$ckpt" -o "$qm" 2>&1)"
echo "$compress_out"

# 3. The measuring program, linked against this build's runtime library.
bin="$work/load_memory"
cxx="${CXX:-g++}"
flags=(-std=c++17 -O2 -Wall -Wextra -I "$repo/runtime/include")
libs=("$build/runtime/libqcompress.a" -lflatbuffers -lxxhash -pthread)
"$cxx" "${flags[@]}" "$exp/load_memory.cc" "${libs[@]}" -o "$bin.tmp"
mv "$bin.tmp" "$bin"

# 4. Fresh process per run.
run_files=()
for i in $(seq 1 "$runs"); do
  "$bin" "$qm" --seq 128 > "$work/run$i.json"
  run_files+=("$work/run$i.json")
done

versions="$("$py" -c 'import torch, transformers, safetensors; print(f"torch {torch.__version__}, transformers {transformers.__version__}, safetensors {safetensors.__version__}")')"
versions="$versions, qcompress $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ -z "$(git -C "$repo" status --porcelain 2>/dev/null)" ] || versions="$versions (uncommitted changes)"
out="$work/load-memory.md"
"$py" "$exp/load_memory_report.py" --runs "${run_files[@]}" --safetensors "$ckpt/model.safetensors" \
  --command "tools/experiments/load_memory.sh$([ "$runs" = 3 ] || echo " --runs $runs")" \
  --compress-output "$compress_out" --qcompress-cpu "$("$qcompress" cpu | tr '\n' ';' | sed 's/;$//; s/;/; /g')" \
  --versions "$versions" --compiler "$cxx ${flags[*]} load_memory.cc ${libs[*]} ($("$cxx" --version | head -1))" \
  --binaries "$qcompress" "$build/runtime/libqcompress.a" --out "$out"
if [ -n "$doc" ]; then
  cp "$out" "$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "wrote $doc" >&2
fi
