#!/usr/bin/env python3
"""Data and starting point of the ViT digits experiment (tools/experiments/vit_digits.sh).

1. scikit-learn's digits (Debian python3-sklearn; 1,797 real 8x8 handwritten digits, grey levels 0..16), split
   with a fixed seed into train (1,437) and test (360), written as folders of images.npy (uint8 [N, 8, 8], values
   scaled to 0..255) + labels.npy (int64 [N]) -- the layout qcompress --data / --eval read for image models;
   with --png also the same images as greyscale PNG files in class folders (train_png/<digit>/<index>.png,
   test_png/...), the ImageFolder layout qcompress reads too (Debian python3-pil).
2. A randomly initialised ViTForImageClassification as a Hugging Face directory: 1 channel, 8x8 images, 2x2
   patches (16 patches + CLS), hidden 64, 4 layers, 4 heads, MLP 128, 10 classes; preprocessing rescale 1/255,
   mean 0.5, std 0.5. Weights from a fixed seed (truncated-normal-free N(0, 0.02), biases 0, LayerNorm 1/0).

  make_vit_digits.py --out DIR [--png]    (writes DIR/train, DIR/test, DIR/init [, DIR/train_png, DIR/test_png])
"""
import argparse
import json
import os
import struct

import numpy as np
from sklearn.datasets import load_digits


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors:
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--mlp", type=int, default=128)
    ap.add_argument("--png", action="store_true", help="also write the images as PNG class folders")
    a = ap.parse_args()

    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)  # [1797, 8, 8]
    labels = digits.target.astype(np.int64)
    order = np.random.RandomState(a.seed).permutation(len(labels))
    test_n = 360
    for name, idx in (("test", order[:test_n]), ("train", order[test_n:])):
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "images.npy"), images[idx])
        np.save(os.path.join(d, "labels.npy"), labels[idx])
        if a.png:
            from PIL import Image
            for i in idx:
                folder = os.path.join(a.out, name + "_png", str(labels[i]))
                os.makedirs(folder, exist_ok=True)
                Image.fromarray(images[i], mode="L").save(os.path.join(folder, f"{i:04d}.png"))

    h, p, size = a.hidden, 2, 8
    patches = (size // p) ** 2
    init = os.path.join(a.out, "init")
    os.makedirs(init, exist_ok=True)
    config = {
        "architectures": ["ViTForImageClassification"], "model_type": "vit", "hidden_size": h,
        "num_hidden_layers": a.layers, "num_attention_heads": a.heads, "intermediate_size": a.mlp,
        "hidden_act": "gelu", "image_size": size, "patch_size": p, "num_channels": 1, "qkv_bias": True,
        "layer_norm_eps": 1e-12, "initializer_range": 0.02,
        "id2label": {str(i): str(i) for i in range(10)}, "label2id": {str(i): i for i in range(10)},
    }
    with open(os.path.join(init, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(init, "preprocessor_config.json"), "w") as f:
        json.dump({"image_processor_type": "ViTImageProcessor", "do_resize": False, "do_rescale": True,
                   "rescale_factor": 1.0 / 255.0, "do_normalize": True, "image_mean": [0.5], "image_std": [0.5],
                   "size": {"height": size, "width": size}}, f, indent=2)
    rng = np.random.RandomState(a.seed + 1)
    normal = lambda *shape: rng.normal(0.0, 0.02, size=shape)
    t = [("vit.embeddings.cls_token", normal(1, 1, h)),
         ("vit.embeddings.position_embeddings", normal(1, patches + 1, h)),
         ("vit.embeddings.patch_embeddings.projection.weight", normal(h, 1, p, p)),
         ("vit.embeddings.patch_embeddings.projection.bias", np.zeros(h))]
    for i in range(a.layers):
        pre = f"vit.encoder.layer.{i}."
        for n in ("attention.attention.query", "attention.attention.key", "attention.attention.value",
                  "attention.output.dense"):
            t += [(pre + n + ".weight", normal(h, h)), (pre + n + ".bias", np.zeros(h))]
        t += [(pre + "intermediate.dense.weight", normal(a.mlp, h)), (pre + "intermediate.dense.bias", np.zeros(a.mlp)),
              (pre + "output.dense.weight", normal(h, a.mlp)), (pre + "output.dense.bias", np.zeros(h)),
              (pre + "layernorm_before.weight", np.ones(h)), (pre + "layernorm_before.bias", np.zeros(h)),
              (pre + "layernorm_after.weight", np.ones(h)), (pre + "layernorm_after.bias", np.zeros(h))]
    t += [("vit.layernorm.weight", np.ones(h)), ("vit.layernorm.bias", np.zeros(h)),
          ("classifier.weight", normal(10, h)), ("classifier.bias", np.zeros(10))]
    write_safetensors(os.path.join(init, "model.safetensors"), t)
    print(f"wrote {a.out}: train {len(labels) - test_n}, test {test_n} images; ViT {a.layers}x{h}, "
          f"{sum(x.size for _, x in t)} parameters")


if __name__ == "__main__":
    main()
