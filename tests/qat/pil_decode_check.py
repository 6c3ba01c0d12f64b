#!/usr/bin/env python3
"""DecodeImageFile against Pillow, the decoder Hugging Face's image processors use: every PNG colour type and JPEG
flavour below, written by Pillow, must decode to exactly Image.open(f).convert("RGB") (3 channels) and its
.convert("L") (1 channel), byte for byte.

Exit 0 pass, 1 fail, 77 skip (python3-pil missing and QC_REQUIRE_CHROMIUM is not 1; tools/run-tests.sh sets it)."""
import argparse
import os
import random
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True, help="the qc_image_dump binary")
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    try:
        from PIL import Image
    except ImportError:
        if os.environ.get("QC_REQUIRE_CHROMIUM") == "1":
            print("FAIL: python3-pil is not installed (tools/install-deps.sh test installs it)")
            return 1
        print("SKIP: python3-pil is not installed; install with tools/install-deps.sh test")
        return 77
    os.makedirs(args.workdir, exist_ok=True)
    rng = random.Random(7)
    width, height = 53, 37  # odd sizes: partial 8x8 / 16x16 JPEG blocks on both edges
    noise = bytes(rng.randrange(256) for _ in range(width * height * 3))
    base = Image.frombytes("RGB", (width, height), noise)
    ramp = Image.linear_gradient("L").resize((20, height)).convert("RGB")  # a smooth region next to the noise
    base.paste(ramp, (0, 0))
    alpha = Image.frombytes("L", (width, height), bytes(rng.randrange(256) for _ in range(width * height)))
    rgba = base.convert("RGBA")
    rgba.putalpha(alpha)
    cases = [
        ("rgb.png", base, {}),
        ("rgba.png", rgba, {}),
        ("grey.png", base.convert("L"), {}),
        ("grey_alpha.png", rgba.convert("LA"), {}),
        ("palette.png", base.convert("P"), {}),
        ("bilevel.png", base.convert("1"), {}),
        ("q75.jpg", base, {"quality": 75}),
        ("q90_444.jpg", base, {"quality": 90, "subsampling": 0}),
        ("q60_422.jpg", base, {"quality": 60, "subsampling": 1}),
        ("progressive.jpg", base, {"quality": 50, "progressive": True}),
        ("grey.jpg", base.convert("L"), {"quality": 80}),
    ]
    failures = 0
    for name, image, options in cases:
        path = os.path.join(args.workdir, name)
        image.save(path, **options)
        for channels, mode in ((3, "RGB"), (1, "L")):
            want = Image.open(path).convert("RGB").convert(mode)
            run = subprocess.run([args.dump, path, str(channels)], capture_output=True)
            if run.returncode != 0:
                print(f"FAIL {name} {mode}: {run.stderr.decode().strip()}")
                failures += 1
                continue
            header, _, pixels = run.stdout.partition(b"\n")
            if header.split() != [str(width).encode(), str(height).encode(), str(channels).encode()]:
                print(f"FAIL {name} {mode}: header {header!r}")
                failures += 1
            elif pixels != want.tobytes():
                worst = max(abs(a - b) for a, b in zip(pixels, want.tobytes()))
                print(f"FAIL {name} {mode}: pixels differ from Pillow's (largest difference {worst})")
                failures += 1
            else:
                print(f"ok   {name} {mode}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
