// tokenizer/wordpiece_tokenizer.h: BERT WordPiece tokenization, id for id identical to Hugging Face `tokenizers`.
//
// Overview
//   Self-contained C++17 (no ICU, no JSON): text goes through
//     UTF-8 decoding (ill-formed bytes -> U+FFFD, which clean_text then drops, as HF does with a lossily decoded
//     string) -> added-token split ([CLS], [SEP], ... found literally in the text) -> BertNormalizer ->
//     BertPreTokenizer -> WordPiece -> truncation -> "[CLS] A [SEP] (B [SEP])" -> padding.
//   Every step follows HF `tokenizers` 0.23 (docs/tokenizer.md lists the evidence: GLUE dev/train, a hard-case list
//   and random Unicode strings all match HF's ids and offsets). Offsets are byte ranges into the caller's text.
//   A tokenizer is immutable after Create(); Encode* are const and safe to call from several threads.
//
// Usage
//   QC_ASSIGN_OR_RETURN(auto tok, qc::WordPieceTokenizer::FromVocabText(vocab_txt));   // bert-base-uncased setup
//   QC_ASSIGN_OR_RETURN(qc::Encoding e, tok.Encode("Hello, world!"));  // [CLS] hello , world ! [SEP]
//   qc::EncodeOptions opts;
//   opts.truncation.enabled = true;
//   opts.truncation.max_length = 128;
//   opts.padding.strategy = qc::PaddingStrategy::kLongest;
//   QC_ASSIGN_OR_RETURN(auto batch, tok.EncodePairBatch({{"A man sleeps.", "A person rests."}}, opts));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qcompress/status.h"
#include "tokenizer/encoding.h"
#include "tokenizer/tokenizer_config.h"

namespace qc {

namespace tokenizer_internal {
struct TokenizerState;
}

class WordPieceTokenizer {
 public:
  /// Validates `config` (TokenizerConfig::Validate) and builds the lookup tables.
  static Expected<WordPieceTokenizer> Create(TokenizerConfig config);
  /// Create(TokenizerConfig::FromVocabText(vocab_text)): bert-base-uncased defaults.
  static Expected<WordPieceTokenizer> FromVocabText(std::string_view vocab_text);

  WordPieceTokenizer(WordPieceTokenizer&&) noexcept;
  WordPieceTokenizer& operator=(WordPieceTokenizer&&) noexcept;
  ~WordPieceTokenizer();

  /// "[CLS] text [SEP]" (unless options.add_special_tokens is false), truncated and padded as asked.
  Expected<Encoding> Encode(std::string_view text, const EncodeOptions& options = {}) const;
  /// "[CLS] a [SEP] b [SEP]" with token type 1 for b and its [SEP].
  Expected<Encoding> EncodePair(std::string_view a, std::string_view b, const EncodeOptions& options = {}) const;
  /// Encodes every text; PaddingStrategy::kLongest pads all rows to the longest one.
  Expected<std::vector<Encoding>> EncodeBatch(const std::vector<std::string_view>& texts,
                                              const EncodeOptions& options = {}) const;
  Expected<std::vector<Encoding>> EncodePairBatch(
      const std::vector<std::pair<std::string_view, std::string_view>>& pairs, const EncodeOptions& options = {}) const;

  /// The WordPiece tokens of `text` without template, truncation or padding (HF `tokenize`).
  std::vector<std::string> Tokenize(std::string_view text) const;

  /// Id of a vocabulary or added token, or -1.
  std::int32_t TokenToId(std::string_view token) const;
  /// Token text of an id, or an empty view for ids outside the vocabulary and added tokens.
  std::string_view IdToToken(std::int32_t id) const;
  /// Number of ids: vocabulary plus added tokens that are not in it.
  std::size_t vocab_size() const;
  const TokenizerConfig& config() const;

 private:
  explicit WordPieceTokenizer(std::unique_ptr<tokenizer_internal::TokenizerState> state);
  Expected<Encoding> EncodeImpl(std::string_view a, const std::string_view* b, const EncodeOptions& options,
                                bool pad) const;
  void PadBatch(std::vector<Encoding>& rows, const EncodeOptions& options) const;

  std::unique_ptr<tokenizer_internal::TokenizerState> state_;
};

}  // namespace qc
