#!/usr/bin/env bash
# Regenerates qm_generated.h from qm.fbs with the pinned flatc (FlatBuffers 2.0.8, Debian libflatbuffers-dev).
#   ./regenerate.sh           rewrite qm_generated.h next to this script
#   ./regenerate.sh --check   exit 1 if the committed header differs from what flatc generates (run by CTest)
# Environment: FLATC (default: flatc on PATH).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
flatc=${FLATC:-flatc}
want="flatc version 2.0.8"
have=$("$flatc" --version)
if [ "$have" != "$want" ]; then
  echo "regenerate.sh: need '$want' (the version the runtime links), found '$have'" >&2
  exit 2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$flatc" --cpp --scoped-enums -o "$out" "$here/qm.fbs"
if [ "${1:-}" = "--check" ]; then
  if ! diff -u "$here/qm_generated.h" "$out/qm_generated.h"; then
    echo "regenerate.sh: runtime/format/qm_generated.h is stale; run runtime/format/regenerate.sh" >&2
    exit 1
  fi
  echo "qm_generated.h is up to date"
else
  cp "$out/qm_generated.h" "$here/qm_generated.h"
  echo "wrote $here/qm_generated.h"
fi
