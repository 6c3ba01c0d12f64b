#!/usr/bin/env python3
"""Writes a BERT-base-shaped float checkpoint as a Hugging Face directory (for tools/experiments/load_memory.sh).

BertForSequenceClassification, 12 layers, hidden 768, 12 heads, intermediate 3072, vocab 30522, 2 labels; random
init from transformers with torch.manual_seed(0); saved with save_pretrained (config.json + model.safetensors) plus
a WordPiece tokenizer built from the bert-base-uncased vocab.txt when one is given. Nothing is downloaded.

  make_bert_base.py OUT_DIR [--vocab VOCAB.txt]
"""
import argparse
import os
import shutil
import sys
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--vocab", default="")
    a = ap.parse_args()

    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2, num_labels=2,
                        id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1})
    model = BertForSequenceClassification(config).eval()
    out = Path(a.out)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    if a.vocab:
        tok = BertTokenizerFast(vocab=a.vocab, do_lower_case=True, model_max_length=512)  # transformers 5: vocab=
        if len(tok) != config.vocab_size:
            sys.exit(f"error: tokenizer from {a.vocab} has {len(tok)} tokens, expected {config.vocab_size}")
        tok.save_pretrained(str(tmp))
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {out}: {params} parameters, model.safetensors {(out / 'model.safetensors').stat().st_size} bytes",
          file=sys.stderr)


if __name__ == "__main__":
    main()
