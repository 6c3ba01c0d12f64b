#!/usr/bin/env python3
"""Headless-Chromium check of the compression report's HTML (tests/report, CTest test_report_render_chromium).

Steps:
  1. qc_report_sample writes sample.json + sample.html; every expectation below is derived from sample.json.
  2. `chromium --headless --dump-dom`: the parsed DOM must hold one <tr class="layer-row"> per layer with the layer's
     name as text (escaping round-trips), one bar per layer and series, one polyline per curve, and no <script>.
  3. `chromium --headless --screenshot`: in the PNG, bars are found by their series colour (read from the DOM; bars
     are drawn crispEdges, so the colour is exact). Each chart must show one bar per value > 0, and each bar's length
     must be proportional to its value (to 2 px): a chart that is blank, truncated or mis-scaled fails. Curve
     colour pixels must cover at least half of each curve's plot width.
  4. Negative control: the same checks on a copy whose "after" bars are removed must fail, so this test can fail.
Exit 0 pass, 1 fail, 77 skip (chromium or python3-pil missing and QC_REQUIRE_CHROMIUM is not 1).
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

WINDOW = (1200, 2600)  # tall enough for the whole sample page: every chart and the table are painted
BYTES_CHART_MAX_ROWS = 40  # tools/report/report_html.cc kMaxBytesRows
LINE_PLOT_WIDTH = 462  # tools/report/svg_chart.cc kLineW - kLeft - kRight
BAR_HEIGHT = 10  # tools/report/svg_chart.cc kBarH


def skip_or_fail(message):
    if os.environ.get("QC_REQUIRE_CHROMIUM") == "1":
        print(f"FAIL: {message} (QC_REQUIRE_CHROMIUM=1: tools/install-deps.sh test installs it)")
        sys.exit(1)
    print(f"SKIP: {message}; install with tools/install-deps.sh test (CI requires it via QC_REQUIRE_CHROMIUM=1)")
    sys.exit(77)


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(binary, profile, *args):
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
           "--force-device-scale-factor=1", f"--user-data-dir={profile}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode}: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return proc.stdout


class DomCensus(html.parser.HTMLParser):
    """Counts what the rendered DOM holds: layer rows (with their name cell text), bars per series, curves."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.scripts, self.curves = [], 0, []
        self.bars = {}  # series -> list of (width, fill)
        self._in_row = False
        self._in_name = False
        self._name = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "script":
            self.scripts += 1
        elif tag == "tr" and "layer-row" in cls:
            self._in_row = True
        elif tag == "td" and self._in_row and "name" in cls:
            self._in_name, self._name = True, ""
        elif tag == "rect" and "bar" in cls and len(cls) == 2:
            self.bars.setdefault(cls[1], []).append((float(a.get("width", "0")), a.get("fill", "")))
        elif tag == "polyline" and "curve" in cls:
            self.curves.append(len((a.get("points") or "").split()))

    def handle_endtag(self, tag):
        if tag == "td" and self._in_name:
            self._in_name = False
            self.rows.append(self._name)
        elif tag == "tr":
            self._in_row = False

    def handle_data(self, data):
        if self._in_name:
            self._name += data


def expected_bars(report):
    layers = report["layers"]
    if len(layers) <= BYTES_CHART_MAX_ROWS:
        before = [l["bytes_before"] for l in layers]
        after = [l["bytes_after"] for l in layers]
    else:
        ops = sorted({l["op"] for l in layers})
        before = [sum(l["bytes_before"] for l in layers if l["op"] == op) for op in ops]
        after = [sum(l["bytes_after"] for l in layers if l["op"] == op) for op in ops]
    sqnr = [l["sqnr_db"] for l in layers if "sqnr_db" in l]
    return {"before": before, "after": after, "sqnr": sqnr}


def check_dom(dom, report, errors):
    census = DomCensus()
    census.feed(dom)
    names = [l["name"] for l in report["layers"]]
    if census.rows != names:
        errors.append(f"DOM: {len(census.rows)} layer rows, expected {len(names)} with the layer names "
                      f"(first mismatch: {next((p for p in zip(census.rows, names) if p[0] != p[1]), None)})")
    if census.scripts:
        errors.append(f"DOM: {census.scripts} <script> element(s): a name was not escaped")
    for series, values in expected_bars(report).items():
        got = len(census.bars.get(series, []))
        if got != len(values):
            errors.append(f"DOM: {got} '{series}' bars, expected {len(values)}")
    want_curves = [len(c["points"]) for c in report["curves"]]
    if census.curves != want_curves:
        errors.append(f"DOM: curve point counts {census.curves}, expected {want_curves}")
    return {s: b[0][1] for s, b in census.bars.items() if b}


def hex_rgb(color):
    m = re.fullmatch(r"#([0-9a-fA-F]{6})", color)
    if not m:
        raise ValueError(f"unexpected colour {color!r}")
    v = int(m.group(1), 16)
    return (v >> 16) & 255, (v >> 8) & 255, v & 255


def find_bars(image, rgb):
    """Bars of one exact colour, top to bottom, as their length in px. A bar is a run of BAR_HEIGHT consecutive
    pixel rows holding the colour; the legend swatch (12 px tall) is not one."""
    width, height = image.size
    data = image.tobytes()
    needle = bytes(rgb)
    counts = []
    for y in range(height):
        row = data[y * width * 3:(y + 1) * width * 3]
        counts.append(sum(1 for x in range(0, len(row), 3) if row[x:x + 3] == needle) if needle in row else 0)
    bars, start = [], None
    for y in range(height + 1):
        on = y < height and counts[y] > 0
        if on and start is None:
            start = y
        elif not on and start is not None:
            if y - start == BAR_HEIGHT:
                bars.append(counts[(start + y) // 2])
            start = None
    return bars


def check_png(png, report, colors, errors):
    from PIL import Image  # python3-pil
    image = Image.open(png).convert("RGB")
    pixels, (w, h) = image.load(), image.size
    for series, values in expected_bars(report).items():
        if series not in colors:
            continue  # already reported by the DOM check
        bars = find_bars(image, hex_rgb(colors[series]))
        positive = [v for v in values if v > 0]
        if len(bars) != len(positive):
            errors.append(f"screenshot: {len(bars)} '{series}' bars visible, expected {len(positive)}")
            continue
        longest, vmax = max(bars), max(positive)
        for i, (length, v) in enumerate(zip(bars, positive)):
            want = max(2.0, longest * v / vmax)
            if abs(length - want) > 2.0:
                errors.append(f"screenshot: '{series}' bar {i} is {length} px, expected {want:.1f} px")
    if report["curves"]:
        r0, g0, b0 = hex_rgb("#e15759")  # tools/report/svg_chart.h kColorCurve
        near = sum(1 for y in range(h) for x in range(w)
                   if abs(pixels[x, y][0] - r0) + abs(pixels[x, y][1] - g0) + abs(pixels[x, y][2] - b0) < 60)
        need = len(report["curves"]) * LINE_PLOT_WIDTH // 2
        if near < need:
            errors.append(f"screenshot: {near} curve-coloured pixels, expected at least {need}")


def run_checks(binary, workdir, html_path, report):
    errors = []
    url = "file://" + os.path.abspath(html_path)
    dom = chromium(binary, os.path.join(workdir, "profile"), "--dump-dom", url)
    colors = check_dom(dom, report, errors)
    png = os.path.splitext(html_path)[0] + ".png"
    chromium(binary, os.path.join(workdir, "profile"), f"--screenshot={png}",
             f"--window-size={WINDOW[0]},{WINDOW[1]}", url)
    check_png(png, report, colors, errors)
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", required=True, help="path of the qc_report_sample binary")
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    binary = find_chromium()
    if not binary:
        skip_or_fail("chromium is not installed")
    try:
        import PIL  # noqa: F401
    except ImportError:
        skip_or_fail("python3-pil is not installed")

    os.makedirs(args.workdir, exist_ok=True)
    subprocess.run([args.sample, args.workdir], check=True)
    with open(os.path.join(args.workdir, "sample.json"), encoding="utf-8") as f:
        report = json.load(f)
    html_path = os.path.join(args.workdir, "sample.html")

    errors = run_checks(binary, args.workdir, html_path, report)
    for e in errors:
        print("FAIL:", e)

    # Negative control: without the "after" bars the same checks must complain.
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    broken = re.sub(r'<rect class="bar after"[^>]*/>', "", page)
    broken_path = os.path.join(args.workdir, "broken.html")
    with open(broken_path, "w", encoding="utf-8") as f:
        f.write(broken)
    control = run_checks(binary, args.workdir, broken_path, report)
    if not any("'after'" in e for e in control):
        errors.append("negative control: removing the 'after' bars went unnoticed")
        print("FAIL: negative control passed; the checks are blind")

    n = len(report["layers"])
    if errors:
        print(f"render check: {len(errors)} problem(s); screenshot {os.path.join(args.workdir, 'sample.png')}")
        return 1
    print(f"render check: OK ({n} layer rows, {len(report['curves'])} curves, bars match the data; "
          f"negative control caught {len(control)} problem(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
