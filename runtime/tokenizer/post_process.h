// tokenizer/post_process.h: truncation, the BERT template and padding, as HF `tokenizers` does them.
//
// Overview
//   Truncate() is HF's truncate_encodings(): the budget it receives already excludes the template's special tokens.
//   longest_first on a pair keeps the shorter sequence whole when the longer one can absorb the cut, otherwise gives
//   each max/2 tokens (the longer one gets the odd token). Assemble() applies "[CLS] A [SEP]" or
//   "[CLS] A [SEP] B [SEP]" (B and its [SEP] have type id 1). Pad() appends (or prepends) [PAD] with mask 0.
//
// Usage
//   QC_RETURN_IF_ERROR(Truncate(a, &b, max_length - 3, TruncationStrategy::kLongestFirst, Side::kRight));
//   Encoding e = Assemble(a, &b, /*add_special_tokens=*/true, cls_id, sep_id);
//   Pad(e, 128, pad_id, 0, Side::kRight);
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "qcompress/status.h"
#include "tokenizer/encoding.h"
#include "tokenizer/wordpiece_model.h"

namespace qc::tokenizer_internal {

/// Shortens `first` and `second` (null for a single sequence) to at most `max_length` pieces in total.
Status Truncate(std::vector<Piece>& first, std::vector<Piece>* second, std::size_t max_length,
                TruncationStrategy strategy, Side side);

/// Builds the model input from the pieces of one or two texts.
Encoding Assemble(const std::vector<Piece>& first, const std::vector<Piece>* second, bool add_special_tokens,
                  std::int32_t cls_id, std::int32_t sep_id);

/// Pads `e` to `target` tokens; no-op when it is already that long or longer.
void Pad(Encoding& e, std::size_t target, std::int32_t pad_id, std::int32_t pad_type_id, Side side);

/// `length` rounded up to a multiple of `multiple` (unchanged when multiple is 0).
std::size_t RoundUpToMultiple(std::size_t length, std::size_t multiple);

}  // namespace qc::tokenizer_internal
