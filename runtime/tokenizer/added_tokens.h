// tokenizer/added_tokens.h: finds added tokens ([CLS], [SEP], user tokens) in a code point sequence.
//
// Overview
//   Matches are leftmost-longest and do not overlap, like HF's aho-corasick (MatchKind::LeftmostLongest): scanning
//   from the left, at the first position where any pattern matches the longest pattern there wins, and scanning
//   resumes after it. Raw tokens are searched in the decoded input, normalized tokens (whose patterns are the
//   normalized content) in the normalizer's output.
//
// Usage
//   AddedTokenMatcher m;
//   m.Add(U"[SEP]", 102);
//   std::vector<AddedTokenMatch> found;
//   m.Find(chars.data(), chars.size(), found);  // code point index ranges and ids
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/utf8.h"

namespace qc::tokenizer_internal {

struct AddedTokenMatch {
  std::size_t begin;  ///< code point index of the first matched code point
  std::size_t end;    ///< one past the last
  std::int32_t id;
};

class AddedTokenMatcher {
 public:
  /// Adds a non-empty pattern.
  void Add(std::u32string pattern, std::int32_t id);
  bool empty() const { return patterns_.empty(); }

  /// Appends the matches in chars[0, count) to `out`, in order.
  void Find(const OffsetChar* chars, std::size_t count, std::vector<AddedTokenMatch>& out) const;

 private:
  struct Pattern {
    std::u32string text;
    std::int32_t id;
  };
  std::vector<Pattern> patterns_;    // sorted by first code point
  std::vector<char32_t> first_cps_;  // sorted, unique: cheap rejection of positions no pattern starts with
};

}  // namespace qc::tokenizer_internal
