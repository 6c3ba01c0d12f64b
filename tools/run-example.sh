#!/usr/bin/env bash
# The README's first command: installs what is needed, builds the qcompress tool and runs it on the bundled example
# (examples/bert-tiny). Grows with the pipeline: today it imports and inspects the example model.
# Environment: QC_BUILD_ROOT (default <repo>/build), QC_JOBS (default nproc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${QC_BUILD_ROOT:-$root/build}/example
jobs=${QC_JOBS:-$(nproc)}

"$root/tools/install-deps.sh" build
echo "building qcompress (Release) in $build_dir ..."
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQC_WITH_TORCH=OFF -DQC_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" --target qcompress -j "$jobs" >/dev/null
qcompress="$build_dir/tools/qcompress"

example="$root/examples/bert-tiny/model.onnx"
echo
echo "\$ qcompress inspect examples/bert-tiny/model.onnx"
"$qcompress" inspect "$example"
echo
echo "\$ qcompress cpu"
"$qcompress" cpu
