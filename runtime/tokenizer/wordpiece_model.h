// tokenizer/wordpiece_model.h: the WordPiece model (greedy longest-match-first), as in HF `models::wordpiece`.
//
// Overview
//   A word longer than max_input_chars_per_word code points is one [UNK]. Otherwise, from the start of the word,
//   the longest prefix in the vocabulary is taken (pieces after the first are looked up with the continuing-subword
//   prefix, "##"), and so on; if at some point no prefix matches, the whole word becomes one [UNK]. Pieces carry
//   byte offsets into the original text, taken from the normalized code points they cover.
//
// Usage
//   WordPieceModel model(&vocab, unk_id, 100);
//   WordPieceModel::Scratch scratch;
//   model.TokenizeWord(chars + w.begin, w.end - w.begin, scratch, pieces);  // "unaffable" -> un ##aff ##able
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace qc::tokenizer_internal {

/// One token of the model's output: vocabulary id and original byte range [begin, end).
struct Piece {
  std::int32_t id;
  std::size_t begin;
  std::size_t end;
};

class WordPieceModel {
 public:
  /// Buffers reused across words so tokenizing does not allocate per word.
  struct Scratch {
    std::string utf8;
    std::vector<std::size_t> boundaries;
  };

  WordPieceModel(const Vocab* vocab, std::int32_t unk_id, std::size_t max_input_chars_per_word)
      : vocab_(vocab), unk_id_(unk_id), max_chars_(max_input_chars_per_word) {}

  /// Appends the pieces of the word chars[0, count) (count > 0) to `out`.
  void TokenizeWord(const OffsetChar* chars, std::size_t count, Scratch& scratch, std::vector<Piece>& out) const;

 private:
  const Vocab* vocab_;
  std::int32_t unk_id_;
  std::size_t max_chars_;
};

}  // namespace qc::tokenizer_internal
