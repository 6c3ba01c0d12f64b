// tokenizer/pre_tokenizer.h: Hugging Face BertPreTokenizer.
//
// Overview
//   Splits normalized text into words: whitespace (Rust char::is_whitespace) separates words and is dropped; every
//   punctuation code point (ASCII punctuation or Unicode P*, as HF's tables classify it) is a word of its own.
//
// Usage
//   std::vector<WordRange> words;
//   SplitBertWords(normalized.data(), normalized.size(), words);  // "hi, you" -> [0,2) [2,3) [4,7)
#pragma once

#include <cstddef>
#include <vector>

#include "tokenizer/utf8.h"

namespace qc::tokenizer_internal {

/// A word: code points [begin, end) of the normalized sequence.
struct WordRange {
  std::size_t begin;
  std::size_t end;
};

/// Appends the words of chars[0, count) to `out` (indices relative to `chars`).
void SplitBertWords(const OffsetChar* chars, std::size_t count, std::vector<WordRange>& out);

}  // namespace qc::tokenizer_internal
