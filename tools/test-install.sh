#!/usr/bin/env bash
# What applications link, checked from the outside: installs the runtime (built alone) into a temporary prefix,
# checks the installed files, then builds the examples as separate projects against it and runs them on the
# bundled example model:
#   examples/c   with CMake (find_package(qcompress), shared and static) and with pkg-config (examples/c/Makefile)
#   examples/cpp with CMake
# Also installs the top-level build when there is one (QC_FULL_BUILD, default <build root>/release) and builds the C
# example against that prefix with pkg-config. Needs cc, pkg-config, readelf (gcc, pkg-config, binutils).
# The .qm comes from a qcompress binary: $QCOMPRESS, else <build root>/release/tools/qcompress, else
# <build root>/example/tools/qcompress, else one is built there as tools/run-example.sh does.
# Environment: QC_BUILD_ROOT (default <repo>/build), QC_RUNTIME_BUILD (the runtime-alone build, default <build
# root>/runtime-only, the one tools/run-tests.sh makes first), QC_JOBS (default nproc).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_root=${QC_BUILD_ROOT:-$root/build}
jobs=${QC_JOBS:-$(nproc)}
work=$build_root/install-test
full_build=${QC_FULL_BUILD:-$build_root/release}
runtime_build=${QC_RUNTIME_BUILD:-$build_root/runtime-only}
t0=$(date +%s)

fail() { echo "test-install: FAILED: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"

echo "--- runtime alone: build and install into $work/prefix"
cmake -S "$root/runtime" -B "$runtime_build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$runtime_build" -j "$jobs" >/dev/null
cmake --install "$runtime_build" --prefix "$work/prefix" >/dev/null
prefix=$work/prefix
libdir_of() {  # <prefix>: lib or lib64 or lib/<multiarch>, wherever GNUInstallDirs put the .pc
  local pc
  for pc in "$1"/lib*/pkgconfig/qcompress.pc "$1"/lib/*/pkgconfig/qcompress.pc; do
    if [ -f "$pc" ]; then dirname "$(dirname "$pc")"; return; fi
  done
  fail "no qcompress.pc under $1"
}
libdir=$(libdir_of "$prefix")

# The public headers and nothing else of the source tree.
expected_headers="export.h qcompress.h runtime.h status.h"
installed=("$prefix"/include/qcompress/*)
headers="${installed[*]##*/}"
[ "$headers" = "$expected_headers" ] || fail "installed headers are '$headers', expected '$expected_headers'"
[ "$(ls "$prefix/include")" = "qcompress" ] || fail "unexpected folders in $prefix/include"
for f in libqcompress.so libqcompress.a cmake/qcompress/qcompressConfig.cmake \
         cmake/qcompress/qcompressConfigVersion.cmake pkgconfig/qcompress.pc; do
  [ -e "$libdir/$f" ] || fail "missing $libdir/$f"
done
soname=$(readelf -d "$libdir/libqcompress.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
abi=$(sed -n 's/^#define QC_ABI_VERSION \([0-9]*\)$/\1/p' "$prefix/include/qcompress/qcompress.h")
[ "$soname" = "libqcompress.so.$abi" ] || fail "SONAME is '$soname', expected libqcompress.so.$abi"
libs=("$libdir"/libqcompress*)
echo "installed: $headers; ${libs[*]##*/} (SONAME $soname)"

echo "--- the example model"
qcompress=${QCOMPRESS:-}
for candidate in "$full_build/tools/qcompress" "$build_root/example/tools/qcompress"; do
  if [ -z "$qcompress" ] && [ -x "$candidate" ]; then qcompress=$candidate; fi
done
if [ -z "$qcompress" ]; then
  cmake -S "$root" -B "$build_root/example" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQC_WITH_TORCH=OFF \
    -DQC_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_root/example" --target qcompress -j "$jobs" >/dev/null
  qcompress=$build_root/example/tools/qcompress
fi
model=$work/bert-tiny.qm
"$qcompress" "$root/examples/bert-tiny/model.onnx" -o "$model" -q
mapfile -t sentences < "$root/examples/bert-tiny/sentences.txt"

echo "--- examples/c and examples/cpp with CMake (find_package(qcompress))"
build_example() {  # <source> <build dir> [cmake args...]
  local src=$1 dir=$2
  shift 2
  cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" "$@" >/dev/null
  cmake --build "$dir" >/dev/null
}
build_example "$root/examples/c" "$work/c-shared"
build_example "$root/examples/c" "$work/c-static" -DQC_EXAMPLE_STATIC=ON
build_example "$root/examples/cpp" "$work/cpp"
readelf -d "$work/c-shared/classify" | grep -q "libqcompress.so.$abi" ||
  fail "c-shared/classify does not load libqcompress.so.$abi"
if readelf -d "$work/c-static/classify" | grep -q libqcompress; then fail "c-static/classify loads libqcompress.so"; fi

echo "--- examples/c with pkg-config: the one-line build, and examples/c/Makefile when make is installed"
mkdir -p "$work/c-pkgconfig" "$work/c-make"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046  # pkg-config's output is meant to split into words
cc -std=c99 -O2 -Wall -Wextra -Werror "$root/examples/c/classify.c" -o "$work/c-pkgconfig/classify" \
  $(pkg-config --cflags --libs qcompress) -Wl,-rpath,"$(pkg-config --variable=libdir qcompress)"
if command -v make >/dev/null; then
  make -s -C "$root/examples/c" OUT="$work/c-make" >/dev/null
else
  cp "$work/c-pkgconfig/classify" "$work/c-make/classify"
  echo "(make is not installed: examples/c/Makefile skipped)"
fi
unset PKG_CONFIG_PATH

echo "--- run"
"$work/c-shared/classify" "$model" "${sentences[@]}" > "$work/c-shared.txt"
"$work/c-static/classify" "$model" "${sentences[@]}" > "$work/c-static.txt"
"$work/c-pkgconfig/classify" "$model" "${sentences[@]}" > "$work/c-pkgconfig.txt"
"$work/c-make/classify" "$model" "${sentences[@]}" > "$work/c-make.txt"
"$work/cpp/embed" "$model" "${sentences[@]}" > "$work/cpp.txt"
cat "$work/c-shared.txt"
[ "$(wc -l < "$work/c-shared.txt")" = "${#sentences[@]}" ] || fail "classify printed no line per sentence"
cmp -s "$work/c-shared.txt" "$work/c-static.txt" || fail "the static build labels differently"
cmp -s "$work/c-shared.txt" "$work/c-pkgconfig.txt" || fail "the pkg-config build labels differently"
cmp -s "$work/c-shared.txt" "$work/c-make.txt" || fail "the Makefile build labels differently"
# The C++ example classifies too (bert-tiny has no embedding output); same labels and scores.
cmp -s "$work/c-shared.txt" "$work/cpp.txt" || fail "examples/cpp disagrees with examples/c"
if "$work/c-shared/classify" "$work/missing.qm" "x" 2> "$work/err.txt"; then fail "a missing model did not fail"; fi
grep -q "missing.qm" "$work/err.txt" || fail "the error does not name the missing file: $(cat "$work/err.txt")"

if [ -f "$full_build/CMakeCache.txt" ] && [ -x "$full_build/tools/qcompress" ]; then
  echo "--- top-level build: install $full_build and build examples/c with pkg-config against it"
  cmake --install "$full_build" --prefix "$work/prefix-full" >/dev/null
  for tool in qcompress qcrun; do [ -x "$work/prefix-full/bin/$tool" ] || fail "no bin/$tool installed"; done
  full_pc="$(libdir_of "$work/prefix-full")/pkgconfig"
  mkdir -p "$work/c-full"
  # shellcheck disable=SC2046  # pkg-config's output is meant to split into words
  cc -std=c99 -O2 "$root/examples/c/classify.c" -o "$work/c-full/classify" \
    $(PKG_CONFIG_PATH="$full_pc" pkg-config --cflags --libs qcompress) \
    -Wl,-rpath,"$(PKG_CONFIG_PATH="$full_pc" pkg-config --variable=libdir qcompress)"
  "$work/c-full/classify" "$model" "${sentences[@]}" | cmp -s - "$work/c-shared.txt" || fail "top-level install differs"
fi
echo "--- test-install passed in $(( $(date +%s) - t0 ))s"
