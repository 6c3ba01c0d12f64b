#!/usr/bin/env bash
# Installs the Debian packages qcompress needs, idempotently: only what is missing, with one `apt-get update`.
#   tools/install-deps.sh build        # what building the product needs
#   tools/install-deps.sh build test   # plus what the test suite needs
#   tools/install-deps.sh neon         # the AArch64 cross compiler and qemu-user (tools/run-neon-tests.sh)
# Lists live in tools/deps/debian-<group>.txt. Works as root, or through sudo when available.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build)

wanted=()
for group in "${groups[@]}"; do
  list="$here/deps/debian-$group.txt"
  [ -f "$list" ] || { echo "install-deps: no package list $list" >&2; exit 2; }
  while read -r line; do
    pkg=${line%%#*}
    pkg=$(echo "$pkg" | xargs)
    [ -n "$pkg" ] && wanted+=("$pkg")
  done < "$list"
done

missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#wanted[@]} packages present (${groups[*]})"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: missing packages and not root (no sudo): ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
