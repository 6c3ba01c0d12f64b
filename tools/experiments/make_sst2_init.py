#!/usr/bin/env python3
"""Writes the starting point of the bundled SST-2 example (examples/sst2-mini): a small, randomly initialised
BertForSequenceClassification as a Hugging Face directory, with the bert-base-uncased vocabulary pruned to the word
pieces SST-2's training sentences use at least --min-count times (plus every single-character piece, so unseen words still split into known
pieces rather than [UNK]). qcompress then fine-tunes it (tools/experiments/make_sst2_example.sh).

Standard library only: the weights are drawn with random.gauss from a fixed seed and written as safetensors by hand.

  make_sst2_init.py --vocab bert-base-uncased/vocab.txt --train SST-2/train.tsv --out DIR [--layers 2 --hidden 128]
"""
import argparse
import json
import os
import random
import struct
import unicodedata


def basic_tokens(text):
    """BERT's basic tokenizer for lower-cased English: NFD, strip accents, split whitespace and punctuation."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    out, word = [], []
    for c in text:
        cp = ord(c)
        punct = (33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or
                 unicodedata.category(c).startswith("P"))
        if c.isspace() or punct:
            if word:
                out.append("".join(word))
                word = []
            if punct:
                out.append(c)
        else:
            word.append(c)
    if word:
        out.append("".join(word))
    return out


def wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, cur = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                cur = sub
                break
            end -= 1
        if cur is None:
            return ["[UNK]"]
        pieces.append(cur)
        start = end
    return pieces


def tensor_bytes(values):
    return struct.pack("<%df" % len(values), *values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--positions", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-count", type=int, default=5, help="keep word pieces used at least this often")
    args = ap.parse_args()

    full = [line.rstrip("\n") for line in open(args.vocab, encoding="utf-8")]
    vocab_set = set(full)
    counts = {}
    with open(args.train, encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            for w in basic_tokens(line.split("\t")[0]):
                for piece in wordpiece(w, vocab_set):
                    counts[piece] = counts.get(piece, 0) + 1
    used = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
    used.update(p for p, c in counts.items() if c >= args.min_count)
    for tok in full:  # single characters keep unseen words spellable
        core = tok[2:] if tok.startswith("##") else tok
        if len(core) == 1:
            used.add(tok)
    vocab = [t for t in full if t in used]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": args.positions, "tokenizer_class": "BertTokenizer"}, f,
                  indent=2)
    config = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": len(vocab),
        "hidden_size": args.hidden, "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
        "intermediate_size": args.ffn, "hidden_act": "gelu", "max_position_embeddings": args.positions,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "initializer_range": 0.02, "pad_token_id": 0,
        "id2label": {"0": "negative", "1": "positive"}, "label2id": {"negative": 0, "positive": 1},
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)

    rng = random.Random(args.seed)
    h, ffn = args.hidden, args.ffn
    tensors = []  # (name, shape, kind) kind: normal / zeros / ones

    def add(name, shape, kind="normal"):
        tensors.append((name, shape, kind))

    add("bert.embeddings.word_embeddings.weight", [len(vocab), h])
    add("bert.embeddings.position_embeddings.weight", [args.positions, h])
    add("bert.embeddings.token_type_embeddings.weight", [2, h])
    add("bert.embeddings.LayerNorm.weight", [h], "ones")
    add("bert.embeddings.LayerNorm.bias", [h], "zeros")
    for i in range(args.layers):
        p = "bert.encoder.layer.%d." % i
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            add(p + name + ".weight", [h, h])
            add(p + name + ".bias", [h], "zeros")
        add(p + "attention.output.LayerNorm.weight", [h], "ones")
        add(p + "attention.output.LayerNorm.bias", [h], "zeros")
        add(p + "intermediate.dense.weight", [ffn, h])
        add(p + "intermediate.dense.bias", [ffn], "zeros")
        add(p + "output.dense.weight", [h, ffn])
        add(p + "output.dense.bias", [h], "zeros")
        add(p + "output.LayerNorm.weight", [h], "ones")
        add(p + "output.LayerNorm.bias", [h], "zeros")
    add("bert.pooler.dense.weight", [h, h])
    add("bert.pooler.dense.bias", [h], "zeros")
    add("classifier.weight", [2, h])
    add("classifier.bias", [2], "zeros")

    header, blobs, offset = {}, [], 0
    for name, shape, kind in tensors:
        n = 1
        for d in shape:
            n *= d
        if kind == "normal":
            values = [rng.gauss(0.0, 0.02) for _ in range(n)]
        else:
            values = [1.0 if kind == "ones" else 0.0] * n
        data = tensor_bytes(values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(args.out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)
    params = sum(len(b) for b in blobs) // 4
    print("wrote %s: vocab %d (of %d), %d layers x %d, %d parameters" % (args.out, len(vocab), len(full), args.layers,
                                                                         h, params))


if __name__ == "__main__":
    main()
