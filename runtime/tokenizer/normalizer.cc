// BertNormalizer (see normalizer.h).
//
// Offsets follow HF's NormalizedString::transform: a step emits (code point, change) pairs; a pair with change 0
// consumes the next code point of the step's input, position by position, and takes its byte range; a pair with
// change +1 is inserted and takes the range of the input code point consumed last (an empty range at the start of
// the text when nothing was consumed yet). Filters (clean_text, dropping Mn) keep each survivor's own range.
#include "tokenizer/normalizer.h"

#include <algorithm>

#include "tokenizer/unicode_tables.h"

namespace qc::tokenizer_internal {
namespace {

// A code point produced by NFD: the first code point of each decomposition consumes its source, the others are
// inserted (HF's unicode-normalization-alignments yields them with change 0 and +1 respectively).
struct NfdPiece {
  char32_t cp;
  bool inserted;
};

void AppendDecomposed(char32_t cp, std::vector<NfdPiece>& out) {
  if (CharFlags(cp) & kFlagHasDecomposition) {
    bool first = true;
    for (char32_t d : DecompositionOf(cp)) {
      out.push_back({d, !first});
      first = false;
    }
    return;
  }
  char32_t jamo[3];
  if (const std::size_t n = DecomposeHangul(cp, jamo); n > 0) {
    for (std::size_t i = 0; i < n; ++i) out.push_back({jamo[i], i > 0});
    return;
  }
  out.push_back({cp, false});
}

// Canonical ordering (Unicode §3.11): every maximal run of non-starters is stably sorted by combining class. The
// consume/insert flag travels with its code point, which decides the byte ranges afterwards.
void ReorderMarks(std::vector<NfdPiece>& pieces) {
  std::size_t i = 0;
  while (i < pieces.size()) {
    if (CombiningClassOf(pieces[i].cp) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < pieces.size() && CombiningClassOf(pieces[j].cp) != 0) ++j;
    if (j - i > 1) {
      std::stable_sort(
          pieces.begin() + static_cast<std::ptrdiff_t>(i), pieces.begin() + static_cast<std::ptrdiff_t>(j),
          [](const NfdPiece& a, const NfdPiece& b) { return CombiningClassOf(a.cp) < CombiningClassOf(b.cp); });
    }
    i = j;
  }
}

// NFD of `src` into `out`, byte ranges assigned as HF's transform does (see the top of this file).
void Decompose(const std::vector<OffsetChar>& src, std::size_t text_begin, std::vector<OffsetChar>& out) {
  std::vector<NfdPiece> pieces;
  pieces.reserve(src.size() + src.size() / 4);
  bool any_combining = false;
  for (const OffsetChar& c : src) {
    const std::size_t first = pieces.size();
    AppendDecomposed(c.cp, pieces);
    for (std::size_t k = first; k < pieces.size(); ++k) {
      any_combining = any_combining || (CharFlags(pieces[k].cp) & kFlagCombining) != 0;
    }
  }
  if (any_combining) ReorderMarks(pieces);
  out.clear();
  out.reserve(pieces.size());
  std::size_t consumed = 0;
  OffsetChar last{0, text_begin, text_begin};
  for (const NfdPiece& p : pieces) {
    if (!p.inserted) last = src[consumed++];
    out.push_back({p.cp, last.begin, last.end});
  }
}

// Full lowercase mapping of every code point; most map to one code point and are replaced in place, and the vector
// is rebuilt only when some mapping is longer (e.g. U+0130 -> "i\u0307"). Extra code points are inserted after the
// first, so all of them take the source's range.
void LowercaseAll(std::vector<OffsetChar>& chars) {
  bool expands = false;
  for (const OffsetChar& c : chars) {
    if ((CharFlags(c.cp) & kFlagHasLowercase) != 0 && LowercaseOf(c.cp).size > 1) {
      expands = true;
      break;
    }
  }
  if (!expands) {
    for (OffsetChar& c : chars) {
      if (CharFlags(c.cp) & kFlagHasLowercase) c.cp = LowercaseOf(c.cp).data[0];
    }
    return;
  }
  std::vector<OffsetChar> expanded;
  expanded.reserve(chars.size() + 8);
  for (const OffsetChar& c : chars) {
    if ((CharFlags(c.cp) & kFlagHasLowercase) == 0) {
      expanded.push_back(c);
      continue;
    }
    for (char32_t l : LowercaseOf(c.cp)) expanded.push_back({l, c.begin, c.end});
  }
  chars.swap(expanded);
}

}  // namespace

void NormalizeBert(const std::vector<OffsetChar>& in, const NormalizerFlags& flags, std::vector<OffsetChar>& out) {
  const std::size_t text_begin = in.empty() ? 0 : in[0].begin;
  out.clear();
  out.reserve(in.size() + in.size() / 4);
  // clean_text and handle_chinese_chars in one pass. Both spaces around an ideograph take its range (observed in
  // tokenizers 0.23: a normalized added token " 中 " starts at the ideograph, not at the code point before it).
  for (const OffsetChar& src : in) {
    OffsetChar c = src;
    const std::uint8_t f = CharFlags(c.cp);
    if (flags.clean_text) {
      if (f & kFlagCleanRemoved) continue;
      if (f & kFlagWhitespace) c.cp = ' ';
    }
    if (flags.handle_chinese_chars && (f & kFlagChinese)) {
      out.push_back({' ', c.begin, c.end});
      out.push_back(c);
      out.push_back({' ', c.begin, c.end});
    } else {
      out.push_back(c);
    }
  }
  if (flags.strip_accents) {
    std::vector<OffsetChar> composed;
    composed.swap(out);
    Decompose(composed, text_begin, out);
    out.erase(std::remove_if(out.begin(), out.end(),
                             [](const OffsetChar& c) { return (CharFlags(c.cp) & kFlagNonspacingMark) != 0; }),
              out.end());
  }
  if (flags.lowercase) LowercaseAll(out);
}

}  // namespace qc::tokenizer_internal
