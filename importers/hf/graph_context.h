// importers/hf/graph_context.h: shared state and layer helpers for the BERT and ViT graph builders (internal to
// importers/hf/; hf_importer.cc is the public entry point).
//
// Overview
//   HfGraphContext couples the GraphBuilder with the checkpoint: Linear() / LayerNorm() / Attention() take module
//   names ("bert.encoder.layer.0.attention.self.query"), fetch "<module>.weight" / ".bias" with the shapes the config
//   implies (errors name the tensor and the expectation), add them as constants named after the checkpoint tensor,
//   and add the node named after the module. HfBuildPlan is what hf_importer.cc decided to build.
//
// Usage (inside a builder)
//   QC_ASSIGN_OR_RETURN(ir::ValueId h, ctx.LayerNorm(x, prefix + "embeddings.LayerNorm"));
//   QC_ASSIGN_OR_RETURN(ir::ValueId y, ctx.Linear(h, prefix + "pooler.dense", hidden, hidden, true, "pooler"));
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "importers/hf/config.h"
#include "importers/hf/hf_importer.h"
#include "importers/hf/sentence_transformers.h"
#include "importers/hf/weights.h"
#include "ir/builder.h"

namespace qc::hf {

struct HfBuildPlan {
  HfOutput output = HfOutput::kLastHiddenState;  ///< resolved: never kAuto
  bool pooler_output = false;                    ///< also emit pooler_output (base models with a pooler)
  std::optional<HfPoolingSpec> pooling;          ///< set for kSentenceEmbedding
  bool token_type_ids_input = true;
};

class HfGraphContext {
 public:
  HfGraphContext(HfWeights& weights, const HfModelConfig& config) : weights_(weights), config_(config) {}

  ir::GraphBuilder& builder() { return builder_; }
  HfWeights& weights() { return weights_; }
  const HfModelConfig& config() const { return config_; }
  int64_t hidden() const { return config_.encoder.hidden_size; }
  /// Notes for HfImportResult::warnings.
  std::vector<std::string>& warnings() { return warnings_; }

  /// The checkpoint tensor `name` (exact `dims`) as a constant named `name`.
  Expected<ir::ValueId> Constant(const std::string& name, const std::vector<int64_t>& dims, std::string_view why);
  /// A constant from a tensor built by the caller.
  Expected<ir::ValueId> Constant(const std::string& name, ir::Tensor tensor);
  /// Linear over `module`.weight [out, in] (+ `module`.bias [out] when `bias`).
  Expected<ir::ValueId> Linear(ir::ValueId x, const std::string& module, int64_t out, int64_t in, bool bias,
                               std::string_view why);
  /// LayerNorm with `module`.weight/.bias (or the TF-era .gamma/.beta), epsilon from the config.
  Expected<ir::ValueId> LayerNorm(ir::ValueId x, const std::string& module);
  /// The config's feed-forward activation.
  Expected<ir::ValueId> Activation(ir::ValueId x, const std::string& name);
  /// Self-attention: q/k/v Linears (`q`, `k`, `v` module names) then one Attention node named `name`; `mask` may be
  /// ir::kNoValue.
  Expected<ir::ValueId> SelfAttention(ir::ValueId x, const std::string& name, const std::string& q,
                                      const std::string& k, const std::string& v, bool qkv_bias, ir::ValueId mask);
  /// A single-output op.
  Expected<ir::ValueId> Op(ir::OpType op, const std::string& name, std::vector<ir::ValueId> inputs,
                           ir::Attributes attributes = {});
  Status Output(ir::ValueId value, const std::string& name) { return builder_.MarkOutput(value, name); }

  /// The first of `prefixes` for which `<prefix><probe>` exists; NotFound listing what was tried.
  Expected<std::string> DetectPrefix(const std::vector<std::string>& prefixes, const std::string& probe) const;

 private:
  HfWeights& weights_;
  const HfModelConfig& config_;
  ir::GraphBuilder builder_;
  std::vector<std::string> warnings_;
};

/// Builders: add inputs, body and the outputs of `plan` to ctx.builder().
Status BuildBertGraph(HfGraphContext& ctx, const HfBuildPlan& plan);
Status BuildVitGraph(HfGraphContext& ctx, const HfBuildPlan& plan);

}  // namespace qc::hf
