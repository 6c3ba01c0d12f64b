#!/usr/bin/env bash
# A/B of thread scaling between builds on a host whose speed drifts: alternates processes of
# `qcrun bench MODEL --threads 2 --against-threads 1 --iters 20` (a 2- and a 1-thread session in one process, run by
# run) across the given qcrun binaries, ROUNDS times, and prints per binary the median of the per-process median
# speed-ups, the mean of the upper half, and every process's value. Not part of CI.
#
#   tools/experiments/ab_threads.sh /tmp/qc-exp-bench/bert-base/qc-t2.qm 12 /tmp/before/tools/qcrun build-exp/tools/qcrun
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 MODEL.qm ROUNDS QCRUN [QCRUN...]" >&2
  exit 2
fi
model=$1 rounds=$2
shift 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$rounds"); do
  for qcrun in "$@"; do
    v=$("$qcrun" bench "$model" --threads 2 --against-threads 1 --iters 20 --json |
      python3 -c "import json, sys; print(json.load(sys.stdin)['against']['speedup']['median'])")
    echo "$qcrun $v" >> "$out"
  done
done
python3 - "$out" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    qcrun, v = line.split()
    runs[qcrun].append(float(v))
for qcrun, v in runs.items():
    v.sort()
    print(f"{qcrun}: median {statistics.median(v):.3f}, upper-half mean {statistics.mean(v[len(v) // 2:]):.3f}, "
          f"n={len(v)}: " + " ".join(f"{x:.2f}" for x in v))
PY
