// BertPreTokenizer (see pre_tokenizer.h).
#include "tokenizer/pre_tokenizer.h"

#include "tokenizer/unicode_tables.h"

namespace qc::tokenizer_internal {

void SplitBertWords(const OffsetChar* chars, std::size_t count, std::vector<WordRange>& out) {
  std::size_t start = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t f = CharFlags(chars[i].cp);
    if (f & (kFlagWhitespace | kFlagPunctuation)) {
      if (in_word) out.push_back({start, i});
      in_word = false;
      if ((f & kFlagWhitespace) == 0) out.push_back({i, i + 1});  // punctuation is a word of its own
      continue;
    }
    if (!in_word) {
      start = i;
      in_word = true;
    }
  }
  if (in_word) out.push_back({start, count});
}

}  // namespace qc::tokenizer_internal
