// passes/quant_config.h: what to quantize and how, as quantize_annotate reads it.
//
// Overview
//   Defaults follow TernaryBERT: every Linear gets `linear_bits` weights and int8 activations; the word embedding
//   (the Embedding fed by the `input_ids` graph input) gets `embedding_bits` row-wise; the final classifier (a Linear
//   whose output is a graph output) stays float; Attention gets int8 Q·K^T and P·V (`quantize_attention`, as
//   TernaryBERT quantizes both matmuls).
//   Overrides then apply in order (a later one wins), matched by exact node name, ECMAScript regex over the whole
//   node name, or op type ("Linear", "Embedding", "Attention"); `keep_float` names win over everything. An override
//   or keep_float entry that matches no quantizable node is an error that names it (a typo must not pass silently).
//
// Usage
//   qc::passes::QuantConfig config;
//   config.linear_bits = qc::ir::WeightBits::kTernary;
//   config.overrides.push_back({qc::passes::OverrideMatch::kRegex, ".*/output/dense/.*", qc::ir::WeightBits::kInt8});
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/quant.h"
#include "qcompress/status.h"

namespace qc::passes {

enum class OverrideMatch { kName, kRegex, kOp };

struct LayerOverride {
  OverrideMatch match = OverrideMatch::kName;
  std::string pattern;                    ///< node name, regex, or op type name
  std::optional<ir::WeightBits> bits;     ///< new weight bits (kFloat32 = keep float)
  bool keep_float = false;                ///< same as bits = kFloat32
  std::optional<ir::ActivationMode> act_mode;
  std::optional<double> act_clip;         ///< > 0
};

struct QuantConfig {
  ir::WeightBits linear_bits = ir::WeightBits::kTernary;
  /// Empty: per tensor for ternary (TernaryBERT's TWN), per row for int4 / int8.
  std::optional<ir::WeightGranularity> linear_granularity;
  /// Empty: the same as linear_bits. kFloat32 keeps the word embedding float.
  std::optional<ir::WeightBits> embedding_bits;
  ir::ActivationMode act_mode = ir::ActivationMode::kDynamicPerToken;
  std::optional<double> act_clip;  ///< symmetric activation clip (> 0); none by default
  /// Per-embedding-group activation scales for every quantized Linear input (ir::ActivationQuant::groups): K splits
  /// into this many equal groups, each with its own scale. 1 = off; > 1 needs a dynamic act_mode.
  int64_t act_groups = 1;
  bool keep_classifier_float = true;
  bool quantize_attention = true;  ///< QAttention: int8 Q·K^T and P·V (TernaryBERT quantizes both matmuls)
  std::vector<LayerOverride> overrides;
  std::vector<std::string> keep_float;  ///< exact node names
};

/// The config for `--bits N` (2, 4 or 8) with everything else default.
Expected<QuantConfig> DefaultQuantConfig(int bits);
/// Checks enum ranges, clips > 0, regexes compile, overrides have a pattern and something to do.
Status ValidateQuantConfig(const QuantConfig& config);
std::string_view OverrideMatchName(OverrideMatch match);

}  // namespace qc::passes
