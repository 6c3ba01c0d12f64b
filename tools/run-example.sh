#!/usr/bin/env bash
# The README's first command: installs what is needed, builds qcompress and qcrun, then compresses the bundled
# example (examples/sst2-mini: a 2-layer BERT that qcompress trained on GLUE SST-2) to ternary weights with
# Teacher Intervention, runs both models on a few sentences, and prints accuracy, size and speed side by side.
# Offline: everything it reads is in the repository. Environment: QC_BUILD_ROOT (default <repo>/build),
# QC_JOBS (default nproc), QC_EXAMPLE_STEPS (default 300 distillation steps).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${QC_BUILD_ROOT:-$root/build}/example
jobs=${QC_JOBS:-$(nproc)}
steps=${QC_EXAMPLE_STEPS:-300}

"$root/tools/install-deps.sh" build
echo "building qcompress and qcrun (Release, with LibTorch for training) in $build_dir ..."
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DQC_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" --target qcompress qcrun -j "$jobs" >/dev/null
qcompress="$build_dir/tools/qcompress"
qcrun="$build_dir/tools/qcrun"
example="$root/examples/sst2-mini"
out="$build_dir/sst2-mini-t2.qm"

# Echo a command with paths shortened and every argument quoted as a shell would need it, then run it.
show() {
  local line="\$" arg
  for arg in "$@"; do
    arg=${arg//$root\//}
    arg=${arg//$build_dir\/tools\//}
    line+=" $(printf '%q' "$arg")"
  done
  echo
  echo "$line"
  "$@"
}

show "$qcompress" "$example/teacher.qm" --bits 2 --distill ti --data "$example/train-sample.tsv" \
  --eval "$example/dev.tsv" --steps "$steps" --lr 5e-4 --max-length 64 -o "$out" \
  --report "$build_dir/sst2-mini-t2.json" --html "$build_dir/sst2-mini-t2.html" --max-drop 0.05

mapfile -t sentences < "$example/sentences.txt"
args=()
for s in "${sentences[@]}"; do args+=(--text "$s"); done
show "$qcrun" run "$out" "${args[@]}"

# Accuracy, size and speed of the float teacher and the ternary student, measured now on this machine.
eval_json() { "$qcrun" eval "$1" --data "$example/dev.tsv" --json; }
bench_json() { "$qcrun" bench "$1" --batch 1 --seq 64 --iters 50 --json; }
python3 - "$example/teacher.qm" "$out" "$(eval_json "$example/teacher.qm")" "$(eval_json "$out")" \
  "$(bench_json "$example/teacher.qm")" "$(bench_json "$out")" <<'EOF'
import json, os, sys
teacher, student = sys.argv[1], sys.argv[2]
ev = [json.loads(sys.argv[3]), json.loads(sys.argv[4])]
bn = [json.loads(sys.argv[5]), json.loads(sys.argv[6])]
print()
print("SST-2 dev (872 sentences)      float teacher   ternary (--distill ti)")
print("accuracy                       %13.4f   %22.4f" % (ev[0]["accuracy"], ev[1]["accuracy"]))
print("file size                      %10.2f MB   %19.2f MB" % (os.path.getsize(teacher) / 1e6, os.path.getsize(student) / 1e6))
print("latency, batch 1 x 64 tokens   %10.3f ms   %19.3f ms" % (bn[0]["latency_ms"]["median"], bn[1]["latency_ms"]["median"]))
print("(the report: build/example/sst2-mini-t2.html)")
EOF
