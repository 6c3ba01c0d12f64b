# shellcheck shell=bash disable=SC2034
# tools/experiments/common.sh: sourced by the experiment scripts. Sets $repo, $venv, $py, $build, $qcompress, $qcrun.
#
# Environment:
#   QC_EXP_VENV    virtualenv to create or reuse (default /tmp/qc-fixtures-venv, the fixture generator's; must be
#                  outside the repository). Created with python3.11 if missing; packages are installed only when
#                  missing (pip with exact pins), so re-running is cheap.
#   QC_BUILD_DIR   build tree with tools/qcompress and tools/qcrun (default: the first of build-exp, build/release,
#                  build under the repository that has them)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${QC_EXP_VENV:-/tmp/qc-fixtures-venv}"
case "$(realpath -m "$venv")/" in
  "$repo"/*) echo "error: QC_EXP_VENV ($venv) must be outside the repository ($repo)" >&2; exit 2 ;;
esac

qc_find_build() {
  if [ -n "${QC_BUILD_DIR:-}" ]; then
    build="$QC_BUILD_DIR"
  else
    build=""
    for b in "$repo/build-exp" "$repo/build/release" "$repo/build"; do
      if [ -x "$b/tools/qcompress" ] && [ -x "$b/tools/qcrun" ]; then build="$b"; break; fi
    done
  fi
  if [ -z "$build" ] || [ ! -x "$build/tools/qcompress" ] || [ ! -x "$build/tools/qcrun" ]; then
    echo "error: no build tree with tools/qcompress and tools/qcrun (set QC_BUILD_DIR). Build one with:" >&2
    echo "  cmake -S $repo -B $repo/build-exp -G Ninja -DQC_WITH_TORCH=OFF -DCMAKE_BUILD_TYPE=Release" >&2
    echo "  cmake --build $repo/build-exp --target qcompress qcrun -j2" >&2
    exit 2
  fi
  build="$(cd "$build" && pwd)"
  qcompress="$build/tools/qcompress"
  qcrun="$build/tools/qcrun"
}

# qc_ensure_venv --base|--extras: --extras also installs tools/experiments/requirements.txt (sentence-transformers, ...).
qc_ensure_venv() {
  if [ ! -x "$venv/bin/python" ]; then
    local base
    if [ -x /usr/bin/python3.11 ]; then base=/usr/bin/python3.11; else base=python3; fi
    echo "creating virtualenv $venv with $base" >&2
    "$base" -m venv "$venv"
  fi
  py="$venv/bin/python"
  # Fixture pins first (torch, transformers, onnx, onnxruntime, ...), then the experiments' extras. pip with exact
  # pins installs nothing when they are already satisfied.
  if ! "$py" -c "import torch, transformers, onnx, onnxruntime, onnxscript" >/dev/null 2>&1; then
    "$py" -m pip install --disable-pip-version-check -q -r "$repo/tests/fixtures/generate/requirements.txt"
  fi
  [ "${1:-}" = --extras ] || return 0
  if ! "$py" - "$repo/tools/experiments/requirements.txt" >/dev/null 2>&1 <<'PY'
import sys, importlib.metadata as md
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, want = line.split("==")
        assert md.version(name) == want, name
PY
  then
    "$py" -m pip install --disable-pip-version-check -q -r "$repo/tools/experiments/requirements.txt"
  fi
}

# qc_command_line SCRIPT "$@": the invocation as it would be typed, for a results file (no trailing '' without arguments).
qc_command_line() {
  local line="$1"
  shift
  [ $# -eq 0 ] || line+="$(printf ' %q' "$@")"
  echo "$line"
}

qc_shared_data() {
  for d in "${QC_SHARED_DATA:-}" "$repo/../shared/data" /work/shared/data; do
    if [ -n "$d" ] && [ -d "$d/glue" ]; then (cd "$d" && pwd); return 0; fi
  done
  echo "error: shared data not found (set QC_SHARED_DATA to the folder holding glue/ and bert-base-uncased/)" >&2
  return 2
}
