#!/usr/bin/env bash
# Recipe of the bundled example examples/sst2-mini: a 2-layer, 128-wide BERT trained from scratch by qcompress
# itself on GLUE SST-2 (the float teacher the README's first command compresses with --distill ti).
#   1. make_sst2_init.py: random initialisation, bert-base-uncased vocabulary pruned to SST-2's word pieces;
#   2. qcompress --finetune: 3 epochs on the 67,349 training phrases, evaluated on the 872 dev sentences;
#   3. the example's data: a 4,000-line training sample (the distillation data of the README command), the dev set.
# Usage: tools/experiments/make_sst2_example.sh [QCOMPRESS_BINARY]   (needs ../shared/data, a LibTorch build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
qcompress=${1:-$root/build/release/tools/qcompress}
data=${QC_SHARED_DATA:-$root/../shared/data}
out=$root/examples/sst2-mini
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$root/tools/experiments/make_sst2_init.py" --vocab "$data/bert-base-uncased/vocab.txt" \
  --train "$data/glue/SST-2/train.tsv" --out "$work/init" --layers 2 --hidden 128 --heads 2 --ffn 512 \
  --positions 64 --seed 1
mkdir -p "$out"
"$qcompress" "$work/init" --finetune --data "$data/glue/SST-2/train.tsv" --eval "$data/glue/SST-2/dev.tsv" \
  --epochs 3 --lr 1e-3 --batch-size 32 --max-length 64 --eval-every 1000 --seed 1 --threads 2 \
  -o "$out/teacher.qm" --report "$out/teacher-report.json"
# The distillation sample: every 16th training phrase (deterministic), and the full dev set.
awk 'NR == 1 || ((NR - 2) % 16 == 0 && n++ < 4000)' "$data/glue/SST-2/train.tsv" > "$out/train-sample.tsv"
cp "$data/glue/SST-2/dev.tsv" "$out/dev.tsv"
echo "wrote $out/teacher.qm ($(stat -c %s "$out/teacher.qm") bytes), train-sample.tsv, dev.tsv"
