#!/usr/bin/env bash
# Cross-builds the kernel tests for AArch64 (tests/neon/: the runtime's kernel layers plus every tests/kernels*/
# folder) and runs them under qemu-aarch64, so the NEON kernels are checked against their scalar references on an
# x86-64 machine. neon_dispatch fails unless the NEON kernels are the ones selected. A step of tools/run-tests.sh.
# Environment: QC_BUILD_ROOT (default <repo>/build), QC_JOBS (default nproc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_root=${QC_BUILD_ROOT:-$root/build}
jobs=${QC_JOBS:-$(nproc)}

"$root/tools/install-deps.sh" neon

build="$build_root/neon-aarch64"
cmake -S "$root/tests/neon" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" >/dev/null
cmake --build "$build" -j "$jobs"
# QC_ISA would cap the dispatch this run is meant to exercise.
env -u QC_ISA ctest --test-dir "$build" --output-on-failure -j "$jobs"
