// Greedy longest-match-first WordPiece (see wordpiece_model.h).
#include "tokenizer/wordpiece_model.h"

#include <string_view>

namespace qc::tokenizer_internal {

void WordPieceModel::TokenizeWord(const OffsetChar* chars, std::size_t count, Scratch& scratch,
                                  std::vector<Piece>& out) const {
  const Piece whole_word_unk{unk_id_, chars[0].begin, chars[count - 1].end};
  if (count > max_chars_) {
    out.push_back(whole_word_unk);
    return;
  }
  scratch.utf8.clear();
  scratch.boundaries.clear();
  for (std::size_t i = 0; i < count; ++i) {
    scratch.boundaries.push_back(scratch.utf8.size());
    AppendUtf8(chars[i].cp, scratch.utf8);
  }
  scratch.boundaries.push_back(scratch.utf8.size());

  const std::string_view word(scratch.utf8);
  const std::size_t* bounds = scratch.boundaries.data();
  const std::size_t max_bytes = vocab_->max_token_bytes();
  const std::size_t first_piece = out.size();
  std::size_t start = 0;
  while (start < count) {
    // No vocabulary entry is longer than max_bytes, so longer candidates cannot match: skip them.
    std::size_t end = count;
    while (end > start && bounds[end] - bounds[start] > max_bytes) --end;
    std::int32_t id = -1;
    for (; end > start; --end) {
      const std::string_view candidate = word.substr(bounds[start], bounds[end] - bounds[start]);
      id = start == 0 ? vocab_->Find(candidate) : vocab_->FindContinuation(candidate);
      if (id >= 0) break;
    }
    if (id < 0) {
      out.resize(first_piece);
      out.push_back(whole_word_unk);
      return;
    }
    out.push_back({id, chars[start].begin, chars[end - 1].end});
    start = end;
  }
}

}  // namespace qc::tokenizer_internal
