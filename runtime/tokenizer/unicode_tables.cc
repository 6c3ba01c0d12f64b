// Lookups into the generated Unicode tables (unicode_tables_generated.cc).
#include "tokenizer/unicode_tables.h"

#include <algorithm>

namespace qc::tokenizer_internal {
namespace {

template <typename Entry>
const Entry* FindEntry(const Entry* table, std::size_t count, char32_t cp) {
  const Entry* end = table + count;
  const Entry* it = std::lower_bound(table, end, cp, [](const Entry& e, char32_t key) { return e.code_point < key; });
  return (it != end && it->code_point == cp) ? it : nullptr;
}

CodePoints Lookup(const MappingEntry* table, std::size_t count, const char32_t* pool, char32_t cp) {
  const MappingEntry* e = FindEntry(table, count, cp);
  if (e == nullptr) return {};
  return CodePoints{pool + e->offset, e->length};
}

constexpr char32_t kHangulSBase = 0xAC00;
constexpr char32_t kHangulLBase = 0x1100;
constexpr char32_t kHangulVBase = 0x1161;
constexpr char32_t kHangulTBase = 0x11A7;
constexpr char32_t kHangulVCount = 21;
constexpr char32_t kHangulTCount = 28;
constexpr char32_t kHangulNCount = kHangulVCount * kHangulTCount;
constexpr char32_t kHangulSCount = 19 * kHangulNCount;

}  // namespace

CodePoints DecompositionOf(char32_t cp) {
  return Lookup(kDecompositions, kDecompositionsCount, kDecompositionsPool, cp);
}

CodePoints LowercaseOf(char32_t cp) {
  return Lookup(kLowercase, kLowercaseCount, kLowercasePool, cp);
}

std::uint8_t CombiningClassOf(char32_t cp) {
  if ((CharFlags(cp) & kFlagCombining) == 0) return 0;
  const CombiningClassEntry* e = FindEntry(kCombiningClasses, kCombiningClassCount, cp);
  return e == nullptr ? 0 : e->combining_class;
}

std::size_t DecomposeHangul(char32_t cp, char32_t out[3]) {
  if (cp < kHangulSBase || cp >= kHangulSBase + kHangulSCount) return 0;
  const char32_t s = cp - kHangulSBase;
  out[0] = kHangulLBase + s / kHangulNCount;
  out[1] = kHangulVBase + (s % kHangulNCount) / kHangulTCount;
  const char32_t t = s % kHangulTCount;
  if (t == 0) return 2;
  out[2] = kHangulTBase + t;
  return 3;
}

}  // namespace qc::tokenizer_internal
