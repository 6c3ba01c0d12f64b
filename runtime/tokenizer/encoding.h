// tokenizer/encoding.h: what encoding produces (model inputs plus offsets) and the options that shape it.
//
// Overview
//   An Encoding holds one row of model input: ids, token_type_ids (0 for [CLS] A [SEP], 1 for B [SEP]) and
//   attention_mask (1 for tokens, 0 for padding), plus per-token byte offsets into the text the token came from
//   (first text for type 0, second for type 1; [0, 0) for [CLS], [SEP] and padding), special_tokens_mask and
//   sequence_ids (0 / 1, -1 for template and padding tokens). Truncation and padding follow HF `tokenizers`:
//   longest_first / only_first / only_second, padding to a fixed length or the longest row of a batch.
//
// Usage
//   qc::EncodeOptions opts;
//   opts.truncation.enabled = true;        // max_length unset: the config's model_max_length
//   opts.truncation.max_length = 128;
//   opts.padding.strategy = qc::PaddingStrategy::kFixed;  // pad to 128 as well
//   opts.padding.length = 128;
//   QC_ASSIGN_OR_RETURN(qc::Encoding e, tokenizer.EncodePair(premise, hypothesis, opts));
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace qc {

enum class TruncationStrategy {
  kLongestFirst,  ///< HF longest_first: shrink the longer sequence first, then split the budget evenly
  kOnlyFirst,     ///< remove tokens from the first sequence only (error when it is too short)
  kOnlySecond,    ///< remove tokens from the second sequence only (error for single sequences that overflow)
};

enum class Side { kRight, kLeft };

struct TruncationOptions {
  bool enabled = false;
  std::optional<std::size_t> max_length;  ///< total length incl. special tokens; unset: model_max_length
  TruncationStrategy strategy = TruncationStrategy::kLongestFirst;
  Side side = Side::kRight;  ///< which end of a sequence loses tokens
};

enum class PaddingStrategy {
  kNone,
  kFixed,    ///< pad every row to `length` (rows already longer are left as they are)
  kLongest,  ///< pad every row of a batch to the longest row
};

struct PaddingOptions {
  PaddingStrategy strategy = PaddingStrategy::kNone;
  std::optional<std::size_t> length;  ///< kFixed target; unset: model_max_length
  std::size_t multiple_of = 0;        ///< round the target up to a multiple of this (0: off)
  Side side = Side::kRight;
};

struct EncodeOptions {
  bool add_special_tokens = true;  ///< apply the [CLS]/[SEP] template
  TruncationOptions truncation;
  PaddingOptions padding;
};

/// Byte range [begin, end) in the original UTF-8 text.
struct TokenOffset {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool operator==(const TokenOffset& o) const { return begin == o.begin && end == o.end; }
};

struct Encoding {
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> token_type_ids;
  std::vector<std::int32_t> attention_mask;
  std::vector<std::int32_t> special_tokens_mask;  ///< 1 for template and padding tokens ([CLS] in the text: 0, as HF)
  std::vector<std::int8_t> sequence_ids;          ///< 0 / 1 for tokens of the first / second text, -1 otherwise
  std::vector<TokenOffset> offsets;

  std::size_t size() const { return ids.size(); }
};

}  // namespace qc
