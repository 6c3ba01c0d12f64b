// passes/lower_quantized.h: annotated float ops -> the quantized ops (docs/quantization.md "Quantized ops").
//
// Rules (each node is fully converted — weights packed, attributes computed — before the graph is touched):
//   Linear{quant w=b/g a=i8/mode}      -> QLinear(x, packed W, w_scale, bias) {weight_format, act_granularity, ...}
//   Embedding{quant w=b/per_row}       -> QEmbedding(ids, dense table, row scales)
//   Attention{quant a=i8}              -> QAttention(q, k, v, mask) {act_clip}
// A static activation mode takes its amax from PassContext::static_amax (the calibrate pass). The replaced node's
// annotation is consumed; its float weights become dead and are dropped by the final compaction.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace qc::passes {

std::unique_ptr<Pass> MakeLowerQuantizedPass();

}  // namespace qc::passes
