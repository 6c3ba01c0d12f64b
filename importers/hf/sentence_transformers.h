// importers/hf/sentence_transformers.h: the sentence-transformers layer of a model directory, as plain data.
//
// Overview
//   A sentence-transformers directory (e.g. all-MiniLM-L6-v2) has `modules.json` listing a pipeline:
//     Transformer (the HF model; its `path` is "" for the directory itself or a subfolder such as "0_Transformer",
//                  holding config.json, weights and sentence_bert_config.json) ->
//     Pooling     (`<path>/config.json`: pooling_mode_cls_token / _mean_tokens / _max_tokens /
//                  _mean_sqrt_len_tokens / _weightedmean_tokens / _lasttoken booleans, or a "pooling_mode" string) ->
//     Normalize   (optional, last; L2 normalisation, no config file).
//   Accepted: exactly that shape (module types matched by their last name component under "sentence_transformers.");
//   other modules (Dense, LayerNorm, CNN, ...) are Unsupported naming the type; module paths must be relative and
//   must not contain "..". Exactly one pooling mode may be set (concatenated poolings are Unsupported). Which modes
//   the IR can express is the importer's business: this reader reports every mode.
//   `sentence_bert_config.json` (next to the Transformer's config) gives max_seq_length and do_lower_case.
//
// Usage
//   QC_ASSIGN_OR_RETURN(std::optional<qc::hf::HfPoolingSpec> st, qc::hf::ReadSentenceTransformersConfig(dir));
//   if (st && st->mode == qc::hf::HfPoolingMode::kMean) ...;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "qcompress/status.h"

namespace qc::hf {

enum class HfPoolingMode { kCls, kMean, kMax, kMeanSqrtLen, kWeightedMean, kLastToken };

/// "cls", "mean", "max", "mean_sqrt_len_tokens", "weightedmean", "lasttoken".
std::string_view HfPoolingModeName(HfPoolingMode mode);

struct HfPoolingSpec {
  std::string modules_path;      ///< the modules.json read
  std::string transformer_path;  ///< Transformer module folder relative to the directory ("" = the directory)
  HfPoolingMode mode = HfPoolingMode::kMean;
  bool normalize = false;  ///< a Normalize module follows the pooling
  std::optional<int64_t> word_embedding_dimension;
  bool include_prompt = true;             ///< Pooling's include_prompt (false only matters with prompts)
  std::optional<int64_t> max_seq_length;  ///< sentence_bert_config.json
  std::optional<bool> do_lower_case;      ///< sentence_bert_config.json: lowercases text before tokenizing
};

/// nullopt when `dir` has no modules.json (a plain Hugging Face directory).
Expected<std::optional<HfPoolingSpec>> ReadSentenceTransformersConfig(const std::string& dir);

}  // namespace qc::hf
