#!/usr/bin/env python3
"""The same KD-QAT step in PyTorch (Debian python3-torch), for tools/experiments/qat_step_time.sh.

Recipe = what `qcompress --bits 2 --distill kd` trains (docs/qat.md, method.md §2-§3): a BERT classifier loaded
from a Hugging Face directory; the student's Linear weights TWN-ternary per tensor and its word embedding per row
(clip 2.5, straight-through); int8 per-token activations (clip 2.5) on every Linear input; int8 Q, K, V per
(token, head) and the probabilities P (as P * dv, per row) in attention; the float teacher under no_grad; loss =
soft cross-entropy on logits + MSE on hidden states (embedding output included) + MSE on attention scores (masked
positions zeroed); BertAdam (per-tensor gradient clipping at 1.0, no bias correction, weight decay 0.01 except
biases and LayerNorm). Fixed-length batches of random token ids (every position real), so both sides do the same
arithmetic per step. Prints one JSON line: {"threads": T, "seconds_per_step": median, "samples": [...]}.
"""
import argparse
import json
import math
import os
import statistics
import struct
import time


def thread_count_from_argv():
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--threads", type=int, default=1)
    return ap.parse_known_args()[0].threads


# torch.set_num_threads does not reach OpenBLAS's own thread pool (Debian's torch does its float GEMMs in OpenBLAS):
# without this a "1-thread" run did its GEMMs on 2 cores (perf: 23% of its samples in an OpenBLAS worker thread).
# OpenBLAS reads the variable once, when torch loads it, so it is set before the import.
os.environ["OPENBLAS_NUM_THREADS"] = str(thread_count_from_argv())

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

CLIP = 2.5


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = torch.frombuffer(bytearray(blob[a:b]), dtype=torch.float32).reshape(meta["shape"]).clone()
    return out


def ste(x, q):
    return x + (q - x).detach()


def twn(w, per_row):
    wc = w.clamp(-CLIP, CLIP)
    a = wc.abs()
    if per_row:
        delta = 0.7 * a.mean(dim=1, keepdim=True)
        kept = (a > delta).float()
        alpha = (a * kept).sum(dim=1, keepdim=True) / kept.sum(dim=1, keepdim=True).clamp_min(1)
    else:
        delta = 0.7 * a.mean()
        kept = (a > delta).float()
        alpha = (a * kept).sum() / kept.sum().clamp_min(1)
    return ste(w, alpha * torch.sign(wc) * kept)


def act_q(x, clip=CLIP):
    xc = x.clamp(-clip, clip) if clip else x
    amax = xc.abs().amax(dim=-1, keepdim=True)
    s = 127.0 / amax.clamp_min(1e-30)
    q = torch.round(xc * s).clamp(-127, 127) * (amax / 127.0)
    return ste(x, q)


class Bert(torch.nn.Module):
    def __init__(self, cfg, w, student):
        super().__init__()
        self.cfg, self.student = cfg, student
        self.p = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v.clone()) for k, v in w.items()})

    def W(self, name):
        return self.p[name.replace(".", "__")]

    def linear(self, x, name, quant=True):
        w, b = self.W(name + ".weight"), self.W(name + ".bias")
        if self.student and quant:
            return F.linear(act_q(x), twn(w, False), b)
        return F.linear(x, w, b)

    def forward(self, ids, types, mask):
        c = self.cfg
        h, nh = c["hidden_size"], c["num_attention_heads"]
        dh = h // nh
        we = self.W("bert.embeddings.word_embeddings.weight")
        if self.student:
            we = twn(we, True)
        pos = torch.arange(ids.shape[1])
        x = F.embedding(ids, we) + self.W("bert.embeddings.position_embeddings.weight")[pos] + \
            F.embedding(types, self.W("bert.embeddings.token_type_embeddings.weight"))
        x = F.layer_norm(x, (h,), self.W("bert.embeddings.LayerNorm.weight"), self.W("bert.embeddings.LayerNorm.bias"),
                         c["layer_norm_eps"])
        hidden, scores = [x], []
        add = (1.0 - mask[:, None, None, :].float()) * -10000.0
        B, S = ids.shape
        for i in range(c["num_hidden_layers"]):
            p = f"bert.encoder.layer.{i}."
            split = lambda t: t.view(B, S, nh, dh).transpose(1, 2)
            q, k, v = (split(self.linear(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
            if self.student:
                q, k, v = act_q(q), act_q(k), act_q(v)
            sc = q @ k.transpose(-1, -2) / math.sqrt(dh) + add
            scores.append(sc)
            pr = sc.softmax(-1)
            if self.student:
                pr = act_q(pr, clip=None)
            ctx = (pr @ v).transpose(1, 2).reshape(B, S, h)
            a = self.linear(ctx, p + "attention.output.dense")
            x = F.layer_norm(a + x, (h,), self.W(p + "attention.output.LayerNorm.weight"),
                             self.W(p + "attention.output.LayerNorm.bias"), c["layer_norm_eps"])
            f = F.gelu(self.linear(x, p + "intermediate.dense"))
            f = self.linear(f, p + "output.dense")
            x = F.layer_norm(f + x, (h,), self.W(p + "output.LayerNorm.weight"), self.W(p + "output.LayerNorm.bias"),
                             c["layer_norm_eps"])
            hidden.append(x)
        pooled = torch.tanh(self.linear(x[:, 0], "bert.pooler.dense"))
        logits = self.linear(pooled, "classifier", quant=False)
        return logits, hidden, scores


def bert_adam_step(params, state, lr, step, t_total, no_decay):
    warm = 0.1
    prog = step / t_total
    mult = prog / warm if prog < warm else max((prog - 1.0) / (warm - 1.0), 0.0)
    with torch.no_grad():
        for name, p in params:
            if p.grad is None:
                continue
            torch.nn.utils.clip_grad_norm_([p], 1.0)
            g = p.grad
            m, v = state.setdefault(name, (torch.zeros_like(p), torch.zeros_like(p)))
            m.mul_(0.9).add_(g, alpha=0.1)
            v.mul_(0.999).addcmul_(g, g, value=0.001)
            upd = m / (v.sqrt() + 1e-6)
            if not any(t in name for t in no_decay):
                upd = upd + 0.01 * p
            p.add_(upd, alpha=-lr * mult)
            p.grad = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--length", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = json.load(open(f"{a.model}/config.json"))
    w = load_safetensors(f"{a.model}/model.safetensors")
    teacher, student = Bert(cfg, w, False), Bert(cfg, w, True)
    teacher.requires_grad_(False)
    params = list(student.p.items())
    no_decay = ("bias", "LayerNorm")
    state, samples, cpu = {}, [], []
    gen = torch.Generator().manual_seed(1)
    for step in range(a.warmup + a.steps):
        ids = torch.randint(1000, cfg["vocab_size"], (a.batch, a.length), generator=gen)
        types = torch.zeros_like(ids)
        mask = torch.ones_like(ids)
        t0, c0 = time.perf_counter(), time.process_time()
        with torch.no_grad():
            zt, ht, st = teacher(ids, types, mask)
        zs, hs, ss = student(ids, types, mask)
        loss = (-(F.softmax(zt, -1) * F.log_softmax(zs, -1)).sum(-1).mean()
                + sum(F.mse_loss(x, y) for x, y in zip(hs, ht))
                + sum(F.mse_loss(torch.where(x <= -100, torch.zeros_like(x), x),
                                 torch.where(y <= -100, torch.zeros_like(y), y)) for x, y in zip(ss, st)))
        loss.backward()
        bert_adam_step(params, state, 2e-5, step, a.warmup + a.steps, no_decay)
        if step >= a.warmup:
            samples.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    # cpu_per_wall: cores actually busy during a step (all threads of the process), the check that --threads held.
    print(json.dumps({"threads": a.threads, "seconds_per_step": statistics.median(samples), "samples": samples,
                      "cpu_per_wall": round(sum(cpu) / sum(samples), 2), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
