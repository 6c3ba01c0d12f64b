// The --config FILE of qcompress: a JSON quantization config -> passes::QuantConfig.
//
//   {
//     "bits": 2,                          // Linear weight bits: 2, 4 or 8 (--bits, when given, wins)
//     "embedding_bits": 2,                // word embedding: 2, 4, 8 or 32 (float); default = bits
//     "weight_granularity": "per_tensor", // Linear scales: per_tensor | per_row (default: per_tensor at 2 bits)
//     "act_granularity": "per_token",     // per_token | per_tensor | static (static needs --calib)
//     "act_clip": 2.5,                    // symmetric activation clip; absent = none
//     "act_groups": 3,                    // per-embedding-group activation scales of Linear inputs; 1 = off
//     "keep_classifier_float": true,
//     "quantize_attention": false,
//     "keep_float": ["/classifier/MatMul"],
//     "overrides": [{"regex": ".*/output/dense/.*", "bits": 8},
//                   {"op": "Embedding", "keep_float": true},
//                   {"name": "/bert/pooler/dense/MatMul", "act_granularity": "per_tensor", "act_clip": 4.0}]
//   }
//
// Unknown keys and wrong types are errors naming the key (a typo must not silently change nothing).
#pragma once

#include <optional>
#include <string>

#include "passes/quant_config.h"
#include "qcompress/status.h"

namespace qc::tools {

struct ParsedQuantConfig {
  passes::QuantConfig config;
  std::optional<int> bits;  ///< "bits" when the file gives it
  bool act_granularity_given = false;  ///< the file sets the default "act_granularity"
};

/// Parses `text` (the file's contents); `origin` names the file in errors.
Expected<ParsedQuantConfig> ParseQuantConfigJson(const std::string& text, const std::string& origin);

}  // namespace qc::tools
