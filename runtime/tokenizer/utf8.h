// tokenizer/utf8.h: lossless-where-possible UTF-8 decoding with byte offsets, and encoding.
//
// Overview
//   DecodeUtf8 turns bytes into code points, each carrying the byte range it came from. Malformed input never fails:
//   every maximal ill-formed subpart (Unicode §3.9, "U+FFFD substitution of maximal subparts", the policy of
//   Python's errors="replace" and Rust's String::from_utf8_lossy) becomes one U+FFFD covering those bytes.
//   Surrogates (ED A0..BF ..), overlongs (C0, C1, E0 80..9F, F0 80..8F) and code points above U+10FFFF are ill-formed.
//
// Usage
//   std::vector<qc::tokenizer_internal::OffsetChar> chars;
//   qc::tokenizer_internal::DecodeUtf8("caf\xC3\xA9", 0, chars);  // 'c' [0,1) 'a' [1,2) 'f' [2,3) U+00E9 [3,5)
//   std::string s; qc::tokenizer_internal::AppendUtf8(0x20AC, s);   // "\xE2\x82\xAC"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace qc::tokenizer_internal {

inline constexpr char32_t kReplacementChar = 0xFFFD;

/// A code point and the bytes [begin, end) of the original text it stands for.
struct OffsetChar {
  char32_t cp;
  std::size_t begin;
  std::size_t end;
};

/// Appends the code points of `text` to `out`; byte offsets are `base` plus the position in `text`.
void DecodeUtf8(std::string_view text, std::size_t base, std::vector<OffsetChar>& out);

/// Appends the UTF-8 encoding of `cp` (which must be a scalar value) to `out`; returns the number of bytes written.
std::size_t AppendUtf8(char32_t cp, std::string& out);

}  // namespace qc::tokenizer_internal
