// passes/quantize_annotate.h: decides, per node, what gets quantized (sets Node::quant) from a QuantConfig.
//
// Rule: Linear with a constant [N, K] weight -> weight bits/granularity + int8 activations; the word Embedding (fed
// by the `input_ids` graph input) -> row-wise weight bits; Attention (only with quantize_attention) -> int8
// activations. Defaults, overrides and keep-float lists: passes/quant_config.h. Every decision is made (and every
// override checked to match something) before the first annotation is written. Layers that stay float are recorded
// in PassContext::layers so the summary lists every candidate.
#pragma once

#include <memory>

#include "passes/pass.h"
#include "passes/quant_config.h"

namespace qc::passes {

std::unique_ptr<Pass> MakeQuantizeAnnotatePass(QuantConfig config);

}  // namespace qc::passes
