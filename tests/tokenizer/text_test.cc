// Unit tests of the text layers: UTF-8 decoding, Unicode tables, BertNormalizer and BertPreTokenizer.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tokenizer/normalizer.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode_tables.h"
#include "tokenizer/utf8.h"

namespace {

using qc::tokenizer_internal::OffsetChar;
namespace ti = qc::tokenizer_internal;

std::vector<OffsetChar> Decode(const std::string& s) {
  std::vector<OffsetChar> out;
  ti::DecodeUtf8(s, 0, out);
  return out;
}

std::u32string Cps(const std::vector<OffsetChar>& chars) {
  std::u32string s;
  for (const OffsetChar& c : chars) s.push_back(c.cp);
  return s;
}

std::vector<OffsetChar> Normalize(const std::string& s, ti::NormalizerFlags flags) {
  std::vector<OffsetChar> out;
  ti::NormalizeBert(Decode(s), flags, out);
  return out;
}

constexpr ti::NormalizerFlags kUncased{true, true, true, true};
constexpr ti::NormalizerFlags kCased{true, true, false, false};
constexpr ti::NormalizerFlags kLowerOnly{false, false, false, true};

}  // namespace

TEST_CASE("UTF-8: valid sequences decode with byte ranges") {
  const auto chars = Decode("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");  // a é € 😀
  REQUIRE(chars.size() == 4);
  CHECK(chars[0].cp == U'a');
  CHECK(chars[1].cp == 0xE9);
  CHECK(chars[2].cp == 0x20AC);
  CHECK(chars[3].cp == 0x1F600);
  CHECK(chars[1].begin == 1);
  CHECK(chars[1].end == 3);
  CHECK(chars[3].begin == 6);
  CHECK(chars[3].end == 10);
  std::string round;
  for (const auto& c : chars) ti::AppendUtf8(c.cp, round);
  CHECK(round == "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST_CASE("UTF-8: each maximal ill-formed subpart becomes one U+FFFD") {
  struct Case {
    std::string bytes;
    std::u32string want;
  };
  const Case cases[] = {
      {"\xFF", U"\uFFFD"},
      {"\xC3", U"\uFFFD"},       // truncated at end of input
      {"\xC3\x28", U"\uFFFD("},  // bad continuation is not consumed
      {"\xE2\x82", U"\uFFFD"},   // one subpart of two bytes
      {"\xE2\x82\xE2\x82\xAC", U"\uFFFD\u20AC"},
      {"\xED\xA0\x80", U"\uFFFD\uFFFD\uFFFD"},            // surrogate: ED then two stray continuations
      {"\xF4\x90\x80\x80", U"\uFFFD\uFFFD\uFFFD\uFFFD"},  // above U+10FFFF
      {"\xC0\xAF", U"\uFFFD\uFFFD"},                      // overlong lead bytes are never valid
      {"\xE0\x80\xAF", U"\uFFFD\uFFFD\uFFFD"},
      {"\xF0\x9F\x98", U"\uFFFD"},
      {"\xF0\x9F\x98\x80\xF0\x9F\x98", U"\U0001F600\uFFFD"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes);
    CHECK(Cps(Decode(c.bytes)) == c.want);
  }
  const auto chars = Decode("a\xE2\x82z");
  REQUIRE(chars.size() == 3);
  CHECK(chars[1].begin == 1);
  CHECK(chars[1].end == 3);
}

TEST_CASE("Unicode tables: flags, decompositions, lowercase, combining classes") {
  using namespace qc::tokenizer_internal;
  CHECK((CharFlags(U' ') & kFlagWhitespace) != 0);
  CHECK((CharFlags(0x3000) & kFlagWhitespace) != 0);
  CHECK((CharFlags(0x1F) & kFlagWhitespace) == 0);  // Python isspace says yes, Rust is_whitespace says no
  CHECK((CharFlags(0x200B) & kFlagCleanRemoved) != 0);
  CHECK((CharFlags(0xFFFD) & kFlagCleanRemoved) != 0);
  CHECK((CharFlags(U'\t') & kFlagCleanRemoved) == 0);
  CHECK((CharFlags(U'$') & kFlagPunctuation) != 0);    // ASCII symbol counts as punctuation for BERT
  CHECK((CharFlags(0x2E43) & kFlagPunctuation) == 0);  // Unicode 9 punctuation, unknown to HF's 8.0 tables
  CHECK((CharFlags(0x166D) & kFlagPunctuation) != 0);  // Po in 8.0 (So since 12.0)
  CHECK((CharFlags(0x4E2D) & kFlagChinese) != 0);
  CHECK((CharFlags(0x2B920) & kFlagChinese) != 0);
  CHECK((CharFlags(0x2B820) & kFlagChinese) == 0);  // HF's block list skips 2B820..2B91F
  CHECK((CharFlags(0x3042) & kFlagChinese) == 0);   // kana are not padded
  CHECK((CharFlags(0x0301) & kFlagNonspacingMark) != 0);
  CHECK((CharFlags(0x0903) & kFlagNonspacingMark) == 0);  // Mc survives strip_accents
  CHECK(CharFlags(0x110000) == 0);

  const CodePoints e_acute = DecompositionOf(0xE9);
  REQUIRE(e_acute.size == 2);
  CHECK(e_acute.data[0] == U'e');
  CHECK(e_acute.data[1] == 0x301);
  CHECK(DecompositionOf(0x1E69).size == 3);  // ṩ: s + dot below + dot above, fully decomposed
  CHECK(DecompositionOf(0x11938).empty());   // Unicode 13 decomposition, unknown to HF's 9.0 tables
  char32_t jamo[3];
  CHECK(DecomposeHangul(0xD55C, jamo) == 3);  // 한
  CHECK(jamo[0] == 0x1112);
  CHECK(jamo[1] == 0x1161);
  CHECK(jamo[2] == 0x11AB);
  CHECK(DecomposeHangul(U'a', jamo) == 0);

  CHECK(LowercaseOf(0x130).size == 2);           // İ -> i + U+0307
  CHECK(LowercaseOf(0x3A3).data[0] == 0x3C3);    // Σ -> σ, never final ς
  CHECK(LowercaseOf(0x1C89).data[0] == 0x1C8A);  // Unicode 16 capital, known to Rust's tables
  CHECK(CombiningClassOf(0x301) == 230);
  CHECK(CombiningClassOf(0x316) == 220);
  CHECK(CombiningClassOf(U'a') == 0);
  CHECK(CombiningClassOf(0x1DF6) == 0);  // Unicode 10 mark: class 0 for HF's 9.0 NFD
}

TEST_CASE("BertNormalizer: clean_text drops controls and maps whitespace, keeping byte ranges") {
  const auto out = Normalize(
      "a\tb\x01"
      "c\xE2\x80\x8B"
      "d\xE3\x80\x80"
      "e",
      kCased);  // tab, SOH, ZWSP, U+3000
  CHECK(Cps(out) ==
        U"a b"
        U"cd e");
  REQUIRE(out.size() == 7);
  CHECK(out[3].begin == 4);  // 'c' after the dropped SOH
  CHECK(out[4].begin == 8);  // 'd' after the dropped 3-byte ZWSP
  CHECK(out[5].end == 12);   // U+3000 became ' ' and kept its 3 bytes
  CHECK(out[6].begin == 12);
  const auto kept = Normalize(
      "a\x01"
      "b",
      ti::NormalizerFlags{false, false, false, false});
  CHECK(Cps(kept) ==
        U"a\x01"
        U"b");
}

TEST_CASE("BertNormalizer: CJK ideographs are padded with spaces carrying their range") {
  const auto out = Normalize(
      "x\xE4\xB8\xAD"
      "y",
      kCased);  // x中y
  CHECK(Cps(out) == U"x \u4E2D y");
  REQUIRE(out.size() == 5);
  CHECK(out[1].begin == 1);
  CHECK(out[1].end == 4);
  CHECK(out[3].begin == 1);
  CHECK(Cps(Normalize("\xE3\x81\x82", kCased)) == U"\u3042");  // あ untouched
}

TEST_CASE("BertNormalizer: strip_accents and lowercase as HF") {
  CHECK(Cps(Normalize("Caf\xC3\xA9 \xC3\x85ngstr\xC3\xB6m", kUncased)) == U"cafe angstrom");
  CHECK(Cps(Normalize("Caf\xC3\xA9", kCased)) == U"Caf\u00E9");
  // İ: with stripping NFD gives I + U+0307 and the mark is dropped; lowercase alone keeps it.
  CHECK(Cps(Normalize("\xC4\xB0", kUncased)) == U"i");
  const auto dotted = Normalize("\xC4\xB0", kLowerOnly);
  CHECK(Cps(dotted) == U"i\u0307");
  REQUIRE(dotted.size() == 2);
  CHECK(dotted[1].begin == 0);
  CHECK(dotted[1].end == 2);
  // Final sigma is not context-sensitive in char::to_lowercase.
  CHECK(Cps(Normalize("\xCE\x9F\xCE\xA3", kLowerOnly)) == U"\u03BF\u03C3");
  // Mc and Me survive; Hangul decomposes into jamo.
  CHECK(Cps(Normalize("a\xE0\xA4\x83", kUncased)) == U"a\u0903");
  CHECK(Cps(Normalize("\xED\x95\x9C", kUncased)) == U"\u1112\u1161\u11AB");
  // Compatibility ideograph U+F900 is padded, then decomposed to U+8C48.
  CHECK(Cps(Normalize("\xEF\xA4\x80", kUncased)) == U" \u8C48 ");
}

TEST_CASE("BertNormalizer: canonical reordering moves marks with HF's positional ranges") {
  // U+1D16D (Mc, class 226) then U+0349 (Mn, class 220): reordered, the Mn is dropped and the surviving U+1D16D
  // takes the range of the position it moved to (HF transform semantics; the random goldens cover more).
  const auto out = Normalize("\xF0\x9D\x85\xAD\xCD\x89", kUncased);
  REQUIRE(out.size() == 1);
  CHECK(out[0].cp == 0x1D16D);
  CHECK(out[0].begin == 4);
  CHECK(out[0].end == 6);
}

TEST_CASE("BertPreTokenizer: whitespace splits, punctuation is isolated") {
  const auto chars = Normalize("Hello,  world!! a-b \xC2\xBF", kCased);
  std::vector<ti::WordRange> words;
  ti::SplitBertWords(chars.data(), chars.size(), words);
  std::vector<std::u32string> got;
  for (const auto& w : words) {
    std::u32string s;
    for (std::size_t i = w.begin; i < w.end; ++i) s.push_back(chars[i].cp);
    got.push_back(s);
  }
  const std::vector<std::u32string> want = {U"Hello", U",", U"world", U"!", U"!", U"a", U"-", U"b", U"\u00BF"};
  CHECK(got == want);
  words.clear();
  ti::SplitBertWords(chars.data(), 0, words);
  CHECK(words.empty());
}
