#!/usr/bin/env python3
"""Generates runtime/tokenizer/unicode_tables_generated.cc: the character data the WordPiece tokenizer needs.

Why the tables are measured rather than copied from one Unicode release
    Hugging Face `tokenizers` (BertNormalizer + BertPreTokenizer) mixes three Unicode versions:
      * general categories (Cc/Cf/Co "other", Mn, P*) come from the `unicode_categories` crate (Unicode 8.0),
      * NFD decompositions and canonical combining classes from `unicode-normalization-alignments` (Unicode 9.0),
      * `char::is_whitespace` and `char::to_lowercase` from the Rust standard library (Unicode 16.0 in the
        wheels of tokenizers 0.23).
    No single `unicodedata` release reproduces that mix (Python 3.11 ships 14.0), so this script asks the pinned
    `tokenizers` wheel how it treats every code point, one at a time, and records the answer. Python's
    `unicodedata` supplies what a single code point cannot reveal (canonical combining classes, which only show in
    reordering) and is used to cross-check and to report where HF departs from it.

Usage (in a venv with the pinned wheel; takes ~30 s):
    python3 -m venv /tmp/tok-venv && /tmp/tok-venv/bin/pip install tokenizers==0.23.3
    /tmp/tok-venv/bin/python tools/gen/unicode_tables.py            # rewrites the .cc file
    /tmp/tok-venv/bin/python tools/gen/unicode_tables.py --check    # exits 1 if the committed file is stale

Per-code-point probes (each on the code point alone, or as "a" + c + "b" for the pre-tokenizer):
    clean   BertNormalizer(clean_text only)      -> removed / mapped to ' ' / kept
    split   BertPreTokenizer                     -> whitespace (dropped) / punctuation (isolated) / neither
    lower   BertNormalizer(lowercase only)       -> full lowercase mapping (Rust char::to_lowercase)
    nfd     normalizers.NFD                      -> full canonical decomposition
    strip   BertNormalizer(strip_accents only)   -> NFD then drop Mn; gives Mn for code points NFD leaves alone
    chinese BertNormalizer(handle_chinese_chars) -> ' c ' for HF's CJK ranges
"""
import argparse
import os
import sys
import tempfile
import unicodedata

FLAG_WHITESPACE = 1  # Rust char::is_whitespace (covers \t \n \r)
FLAG_CLEAN_REMOVED = 2  # clean_text drops it: NUL, U+FFFD, Cc/Cf/Co (Unicode 8.0) except \t \n \r
FLAG_PUNCTUATION = 4  # BertPreTokenizer isolates it: ASCII punctuation or P* (Unicode 8.0)
FLAG_NONSPACING_MARK = 8  # Mn (Unicode 8.0); dropped after NFD when strip_accents
FLAG_HAS_DECOMPOSITION = 16  # NFD maps it to other code points (Hangul syllables excluded: algorithmic)
FLAG_HAS_LOWERCASE = 32  # char::to_lowercase differs from the code point
FLAG_COMBINING = 64  # canonical combining class != 0 as HF's NFD sees it
FLAG_CHINESE = 128  # handle_chinese_chars pads it with spaces (HF's CJK ranges)

HANGUL_S_BASE, HANGUL_S_COUNT = 0xAC00, 11172
BLOCK_SHIFT = 8
MAX_CP = 0x110000
REF_CCC1 = "\u0334"  # COMBINING TILDE OVERLAY, ccc 1
REF_CCC230 = "\u0301"  # COMBINING ACUTE ACCENT, ccc 230
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_PATH = os.path.join(REPO, "runtime", "tokenizer", "unicode_tables_generated.cc")


def hangul_nfd(cp):
    s = cp - HANGUL_S_BASE
    l, v, t = 0x1100 + s // 588, 0x1161 + (s % 588) // 28, 0x11A7 + s % 28
    return [l, v] if t == 0x11A7 else [l, v, t]


def bert(normalizers, clean=False, chinese=False, strip=False, lower=False):
    return normalizers.BertNormalizer(clean_text=clean, handle_chinese_chars=chinese, strip_accents=strip,
                                      lowercase=lower)


def probe():
    from tokenizers import normalizers, pre_tokenizers
    n_clean, n_lower = bert(normalizers, clean=True), bert(normalizers, lower=True)
    n_strip, n_chinese = bert(normalizers, strip=True), bert(normalizers, chinese=True)
    n_nfd, pre = normalizers.NFD(), pre_tokenizers.BertPreTokenizer()

    flags = [0] * MAX_CP
    decomp, lower, nfd_of, mn = {}, {}, {}, set()
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            continue  # surrogates never reach the tokenizer: UTF-8 decoding replaces them with U+FFFD
        c, f = chr(cp), 0
        cleaned = n_clean.normalize_str(c)
        if cleaned == "":
            f |= FLAG_CLEAN_REMOVED
        elif cleaned not in (" ", c):
            raise SystemExit(f"U+{cp:04X}: clean_text gave {cleaned!r}")
        words = [w for w, _ in pre.pre_tokenize_str("a" + c + "b")]
        if words == ["a", "b"]:
            f |= FLAG_WHITESPACE
        elif words == ["a", c, "b"]:
            f |= FLAG_PUNCTUATION
        elif words != ["a" + c + "b"]:
            raise SystemExit(f"U+{cp:04X}: BertPreTokenizer gave {words!r}")
        if (cleaned == " ") != bool(f & FLAG_WHITESPACE and not f & FLAG_CLEAN_REMOVED):
            raise SystemExit(f"U+{cp:04X}: clean_text whitespace mapping disagrees with the pre-tokenizer")
        low = n_lower.normalize_str(c)
        if low != c:
            f |= FLAG_HAS_LOWERCASE
            lower[cp] = [ord(x) for x in low]
        nfd = n_nfd.normalize_str(c)
        nfd_of[cp] = nfd
        if nfd != c:
            if HANGUL_S_BASE <= cp < HANGUL_S_BASE + HANGUL_S_COUNT:
                if [ord(x) for x in nfd] != hangul_nfd(cp):
                    raise SystemExit(f"U+{cp:04X}: Hangul decomposition is not the algorithmic one")
            else:
                f |= FLAG_HAS_DECOMPOSITION
                decomp[cp] = [ord(x) for x in nfd]
        elif n_strip.normalize_str(c) == "":
            f |= FLAG_NONSPACING_MARK
            mn.add(cp)
        chinese = n_chinese.normalize_str(c)
        if chinese == " " + c + " ":
            f |= FLAG_CHINESE
        elif chinese != c:
            raise SystemExit(f"U+{cp:04X}: handle_chinese_chars gave {chinese!r}")
        flags[cp] = f

    # strip_accents must equal "decompose, then drop the Mn code points" for every code point.
    for cp, nfd in nfd_of.items():
        expected = "".join(x for x in nfd if ord(x) not in mn)
        if n_strip.normalize_str(chr(cp)) != expected:
            raise SystemExit(f"U+{cp:04X}: strip_accents is not NFD followed by dropping Mn")

    ccc = probe_combining_classes(n_nfd, nfd_of)
    for cp in ccc:
        flags[cp] |= FLAG_COMBINING
    verify_reordering(n_nfd, ccc)
    return flags, decomp, lower, ccc


def probe_combining_classes(n_nfd, nfd_of):
    """HF's combining class per code point: Python's value where HF reorders like it, 0 where HF does not know it."""
    ccc = {}
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        value = unicodedata.combining(c)
        if value == 0 or nfd_of[cp] != c:
            continue
        if value > 1:  # a class above 1 moves behind U+0334 (class 1)
            moved = n_nfd.normalize_str("a" + c + REF_CCC1) == "a" + REF_CCC1 + c
        else:  # class 1 moves in front of U+0301 (class 230)
            moved = n_nfd.normalize_str("a" + REF_CCC230 + c) == "a" + c + REF_CCC230
        if moved:
            ccc[cp] = value
    return ccc


def verify_reordering(n_nfd, ccc):
    """Checks that stable sorting by the probed classes reproduces HF's NFD on mark pairs and triples."""
    refs = [0x0334, 0x0301, 0x0316, 0x0345, 0x05B0, 0x0E38, 0x302A, 0x1D165]
    marks = sorted(ccc)
    for cp in marks:
        for r in refs:
            for seq in ([cp, r], [r, cp], [cp, r, cp]):
                got = n_nfd.normalize_str("a" + "".join(map(chr, seq)))
                want = "a" + "".join(chr(x) for x in sorted(seq, key=lambda x: ccc.get(x, 0)))
                if got != want:
                    raise SystemExit(f"reordering of {[hex(x) for x in seq]}: HF {got!r}, tables {want!r}")


def build_two_stage(flags):
    blocks, block_index, stage1 = [], {}, []
    size = 1 << BLOCK_SHIFT
    for start in range(0, MAX_CP, size):
        block = tuple(flags[start:start + size])
        if block not in block_index:
            block_index[block] = len(blocks)
            blocks.append(block)
        stage1.append(block_index[block])
    return stage1, blocks


def emit_mapping(lines, name, mapping):
    pool, entries = [], []
    for cp in sorted(mapping):
        seq = mapping[cp]
        entries.append((cp, len(pool), len(seq)))
        pool.extend(seq)
    if len(pool) >= 1 << 16 or max(len(s) for s in mapping.values()) >= 256:
        raise SystemExit(f"{name}: pool too large for uint16 offsets")
    lines.append(f"const char32_t k{name}Pool[] = {{")
    lines.extend(wrap([f"0x{x:X}" for x in pool]))
    lines.append("};")
    lines.append(f"const MappingEntry k{name}[] = {{")
    lines.extend(wrap([f"{{0x{cp:X}, {off}, {n}}}" for cp, off, n in entries]))
    lines.append("};")
    lines.append(f"const std::size_t k{name}Count = {len(entries)};")
    lines.append("")


def wrap(items, width=118):
    out, line = [], "   "
    for item in items:
        piece = " " + item + ","
        if len(line) + len(piece) > width:
            out.append(line)
            line = "   "
        line += piece
    if line.strip():
        out.append(line)
    return out


def render(flags, decomp, lower, ccc):
    import tokenizers
    stage1, blocks = build_two_stage(flags)
    lines = [
        "// GENERATED by tools/gen/unicode_tables.py -- do not edit. Regenerate with the command in that script.",
        f"// Source: Hugging Face tokenizers {tokenizers.__version__} probed code point by code point; combining "
        f"classes from Python",
        f"// {sys.version.split()[0]} unicodedata {unicodedata.unidata_version} where tokenizers reorders like it.",
        f"// Sizes: {len(blocks)} flag blocks of {1 << BLOCK_SHIFT}, {len(decomp)} decompositions, "
        f"{len(lower)} lowercase mappings, {len(ccc)} combining classes.",
        '#include "tokenizer/unicode_tables.h"',
        "",
        "namespace qc::tokenizer_internal {",
        "",
        f"const std::uint16_t kFlagStage1[{len(stage1)}] = {{",
    ]
    lines.extend(wrap([str(x) for x in stage1]))
    lines.append("};")
    lines.append(f"const std::uint8_t kFlagBlocks[{len(blocks)} << kFlagBlockShift] = {{")
    for i, block in enumerate(blocks):
        lines.append(f"    // block {i}")
        lines.extend(wrap([str(x) for x in block]))
    lines.append("};")
    lines.append("")
    emit_mapping(lines, "Decompositions", decomp)
    emit_mapping(lines, "Lowercase", lower)
    lines.append("const CombiningClassEntry kCombiningClasses[] = {")
    lines.extend(wrap([f"{{0x{cp:X}, {v}}}" for cp, v in sorted(ccc.items())]))
    lines.append("};")
    lines.append(f"const std::size_t kCombiningClassCount = {len(ccc)};")
    lines.append("")
    lines.append("}  // namespace qc::tokenizer_internal")
    return "\n".join(lines) + "\n"


def report(flags, ccc):
    """Prints where HF departs from Python's unicodedata (for docs/tokenizer.md)."""
    diffs = {"punctuation": 0, "clean_removed": 0, "nonspacing_mark": 0, "combining": 0}
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        cat = unicodedata.category(c)
        is_p = cat.startswith("P") or (cp < 128 and c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
        diffs["punctuation"] += is_p != bool(flags[cp] & FLAG_PUNCTUATION)
        is_rm = (cp in (0, 0xFFFD) or cat in ("Cc", "Cf", "Co")) and c not in "\t\n\r"
        diffs["clean_removed"] += is_rm != bool(flags[cp] & FLAG_CLEAN_REMOVED)
        if not flags[cp] & FLAG_HAS_DECOMPOSITION and not (HANGUL_S_BASE <= cp < HANGUL_S_BASE + HANGUL_S_COUNT):
            diffs["nonspacing_mark"] += (cat == "Mn") != bool(flags[cp] & FLAG_NONSPACING_MARK)
        diffs["combining"] += (unicodedata.combining(c) != 0) != (cp in ccc)
    print(f"code points where tokenizers differs from unicodedata {unicodedata.unidata_version}: {diffs}",
          file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=OUT_PATH)
    parser.add_argument("--check", action="store_true", help="fail if --out differs from a fresh generation")
    args = parser.parse_args()
    flags, decomp, lower, ccc = probe()
    report(flags, ccc)
    text = render(flags, decomp, lower, ccc)
    if args.check:
        with open(args.out, encoding="utf-8") as f:
            if f.read() != text:
                raise SystemExit(f"{args.out} is stale: rerun tools/gen/unicode_tables.py")
        print(f"{args.out} is up to date")
        return
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(args.out), suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {len(text)} bytes")


if __name__ == "__main__":
    main()
