#!/usr/bin/env bash
# The README's first command: installs what is needed, builds qcompress and qcrun, then runs the pipeline on the
# bundled example (examples/bert-tiny): inspect the ONNX export, compress it to .qm, inspect the .qm, run it on text.
# Environment: QC_BUILD_ROOT (default <repo>/build), QC_JOBS (default nproc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${QC_BUILD_ROOT:-$root/build}/example
jobs=${QC_JOBS:-$(nproc)}

"$root/tools/install-deps.sh" build
echo "building qcompress and qcrun (Release) in $build_dir ..."
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQC_WITH_TORCH=OFF -DQC_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" --target qcompress qcrun -j "$jobs" >/dev/null
qcompress="$build_dir/tools/qcompress"
qcrun="$build_dir/tools/qcrun"
example="$root/examples/bert-tiny"
out="$build_dir/bert-tiny.qm"

show() { echo; echo "\$ $*" | sed "s|$root/||g; s|$build_dir/tools/||g"; "$@"; }

show "$qcompress" inspect "$example/model.onnx"
show "$qcompress" "$example/model.onnx" -o "$out"
show "$qcrun" inspect "$out"
mapfile -t sentences < "$example/sentences.txt"
args=()
for s in "${sentences[@]}"; do args+=(--text "$s"); done
show "$qcrun" run "$out" "${args[@]}"
echo
echo "ONNX file: $(stat -c %s "$example/model.onnx") bytes; .qm file: $(stat -c %s "$out") bytes (float32; low-bit packing is next)"
