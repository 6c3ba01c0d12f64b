// tokenizer/normalizer.h: Hugging Face BertNormalizer over code points that remember their source bytes.
//
// Overview
//   Steps, in HF's order, each optional:
//     1. clean_text: drop NUL, U+FFFD and control/format/private-use code points (not \t \n \r); map every
//        whitespace code point to ' '.
//     2. handle_chinese_chars: put ' ' before and after every CJK ideograph (HF's block list, 0x2B920 included).
//     3. strip_accents: canonical decomposition (NFD: full decomposition + canonical reordering), then drop Mn.
//     4. lowercase: full lowercase mapping per code point (Rust char::to_lowercase: 'İ' -> "i̇", no final sigma).
//   Every output code point keeps the byte range of the input code point it came from; inserted spaces take the
//   range of the ideograph they surround; marks moved by canonical reordering take their ranges with them.
//
// Usage
//   std::vector<OffsetChar> in, out;
//   DecodeUtf8(text, 0, in);
//   NormalizeBert(in, NormalizerFlags{true, true, true, true}, out);
#pragma once

#include <vector>

#include "tokenizer/utf8.h"

namespace qc::tokenizer_internal {

struct NormalizerFlags {
  bool clean_text = true;
  bool handle_chinese_chars = true;
  bool strip_accents = true;  // already resolved: HF's "unset" means "same as lowercase"
  bool lowercase = true;
};

/// Normalizes `in` into `out` (cleared first). `in` and `out` must be different vectors.
void NormalizeBert(const std::vector<OffsetChar>& in, const NormalizerFlags& flags, std::vector<OffsetChar>& out);

}  // namespace qc::tokenizer_internal
