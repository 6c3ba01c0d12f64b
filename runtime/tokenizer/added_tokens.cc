// Leftmost-longest added-token matching (see added_tokens.h).
#include "tokenizer/added_tokens.h"

#include <algorithm>
#include <utility>

namespace qc::tokenizer_internal {

void AddedTokenMatcher::Add(std::u32string pattern, std::int32_t id) {
  if (pattern.empty()) return;
  const char32_t first = pattern[0];
  Pattern p{std::move(pattern), id};
  const auto at = std::upper_bound(patterns_.begin(), patterns_.end(), first,
                                   [](char32_t key, const Pattern& q) { return key < q.text[0]; });
  patterns_.insert(at, std::move(p));
  const auto cp_at = std::lower_bound(first_cps_.begin(), first_cps_.end(), first);
  if (cp_at == first_cps_.end() || *cp_at != first) first_cps_.insert(cp_at, first);
}

void AddedTokenMatcher::Find(const OffsetChar* chars, std::size_t count, std::vector<AddedTokenMatch>& out) const {
  if (patterns_.empty()) return;
  std::size_t i = 0;
  while (i < count) {
    const char32_t c = chars[i].cp;
    if (!std::binary_search(first_cps_.begin(), first_cps_.end(), c)) {
      ++i;
      continue;
    }
    auto it = std::lower_bound(patterns_.begin(), patterns_.end(), c,
                               [](const Pattern& q, char32_t key) { return q.text[0] < key; });
    std::size_t best_len = 0;
    std::int32_t best_id = -1;
    for (; it != patterns_.end() && it->text[0] == c; ++it) {
      const std::u32string& t = it->text;
      if (t.size() <= best_len || t.size() > count - i) continue;
      std::size_t k = 1;
      while (k < t.size() && chars[i + k].cp == t[k]) ++k;
      if (k == t.size()) {
        best_len = t.size();
        best_id = it->id;
      }
    }
    if (best_len == 0) {
      ++i;
      continue;
    }
    out.push_back({i, i + best_len, best_id});
    i += best_len;
  }
}

}  // namespace qc::tokenizer_internal
