// passes/quantize_annotate.h: decides, per node, what gets quantized (sets Node::quant) from a QuantConfig.
//
// Rule: Linear with a constant [N, K] weight -> weight bits/granularity + int8 activations; the word Embedding (fed
// by the `input_ids` graph input) -> row-wise weight bits; Attention (only with quantize_attention) -> int8
// activations. Defaults, overrides and keep-float lists: passes/quant_config.h. Every decision is made (and every
// override checked to match something) before the first annotation is written. Layers that stay float are recorded
// in PassContext::layers so the summary lists every candidate.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "passes/pass.h"
#include "passes/quant_config.h"

namespace qc::passes {

/// What the config decides for one candidate node (a Linear or Embedding with a constant weight, or an Attention).
struct QuantDecision {
  ir::NodeId node = ir::kNoNode;
  std::optional<ir::QuantAnnotation> annotation;  ///< empty: the node stays float
  std::optional<LayerSummary> row;                ///< its layer-summary row (none for a float Attention)
};

/// Every decision the pass would write, all checked, the graph untouched; qcompress calls it before training so a
/// config that cannot fit fails before the first step. Errors: NotFound (an override or keep_float entry matches
/// nothing), FailedPrecondition (the config does not fit the model: act_groups does not divide a quantized Linear's
/// in_features), InvalidArgument (the config itself is invalid).
Expected<std::vector<QuantDecision>> PlanQuantization(const ir::Graph& graph, const QuantConfig& config);

std::unique_ptr<Pass> MakeQuantizeAnnotatePass(QuantConfig config);

}  // namespace qc::passes
