#!/usr/bin/env bash
# Builds everything and runs the whole test suite; this is what CI runs (.ci/run). On a fresh Debian 12 machine it
# installs what it needs first. Steps:
#   1. the deployable runtime alone (proves runtime/ needs nothing else of ours)
#   1b. the kernel tests cross-built for AArch64 and run under qemu-aarch64 (tools/run-neon-tests.sh: the NEON
#       kernels against their scalar references)
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build (without LibTorch) and its tests
#   3. the full Release build (with LibTorch); tools/test-install.sh (install the runtime, build examples/ against
#      it with CMake and pkg-config); the whole suite, whose CTest summary closes the output
# Environment: QC_BUILD_ROOT (default <repo>/build), QC_JOBS (default nproc), QC_SKIP_SANITIZERS=1, QC_SKIP_NEON=1.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_root=${QC_BUILD_ROOT:-$root/build}
jobs=${QC_JOBS:-$(nproc)}
export QC_REQUIRE_CHROMIUM=${QC_REQUIRE_CHROMIUM:-1}  # tests/report: the headless-Chromium render check must run, not skip

"$root/tools/install-deps.sh" build test neon

step() { echo; echo "=== $* ==="; }
elapsed() { echo "--- $1 took $(( $(date +%s) - $2 ))s"; }

t0=$(date +%s)
step "runtime alone"
cmake -S "$root/runtime" -B "$build_root/runtime-only" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_root/runtime-only" -j "$jobs"
elapsed "runtime-alone build" "$t0"

if [ "${QC_SKIP_NEON:-0}" != 1 ]; then
  tn=$(date +%s)
  step "NEON kernel tests (AArch64 cross build under qemu-aarch64)"
  QC_BUILD_ROOT="$build_root" QC_JOBS="$jobs" "$root/tools/run-neon-tests.sh"
  elapsed "NEON kernel tests" "$tn"
fi

if [ "${QC_SKIP_SANITIZERS:-0}" != 1 ]; then
  t1=$(date +%s)
  step "ASan + UBSan build and tests (no LibTorch)"
  cmake -S "$root" -B "$build_root/sanitize" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DQC_WITH_TORCH=OFF \
    -DQC_SANITIZE_ADDRESS=ON -DQC_SANITIZE_UNDEFINED=ON >/dev/null
  cmake --build "$build_root/sanitize" -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$build_root/sanitize" --output-on-failure -j "$jobs" -LE slow
  elapsed "sanitizer build and tests" "$t1"
fi

t2=$(date +%s)
step "Release build (everything)"
cmake -S "$root" -B "$build_root/release" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_root/release" -j "$jobs"
t3=$(date +%s)
elapsed "Release build" "$t2"
t4=$(date +%s)
step "install: the runtime package consumed by examples/ (CMake and pkg-config)"
QC_BUILD_ROOT="$build_root" QC_JOBS="$jobs" "$root/tools/test-install.sh"
elapsed "install test" "$t4"
step "test suite (Release)"
ctest --test-dir "$build_root/release" --output-on-failure -j "$jobs"
