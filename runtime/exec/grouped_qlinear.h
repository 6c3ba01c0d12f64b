// exec/grouped_qlinear.h: QLinear with per-embedding-group activation scales (act_groups G > 1, format 1.3).
//
// Overview
//   PEG (Bondarenko et al., EMNLP 2021): transformer activations carry a few outlier channels, and one scale per
//   token lets them coarsen every other channel's grid. With act_groups = G, K splits into G equal column groups
//   [g·K/G, (g+1)·K/G); each group gets its own scale per token (or per tensor), clipped by act_clip as usual. The
//   packed weight holds G column slices [N, K/G], each packed on its own and stored back to back
//   (format/qm_quant_rules.h QmPackedWeightBytes), so every group is one ordinary GEMM with that group's dequant d_g:
//
//     y_0 = T2Output(Y_0, α, d_0, bias)     y_g = T2Output(Y_g, α, d_g, +0)   (g >= 1; Y_g = Σ_{k in g} w·q exact)
//     y   = ((y_0 + y_1) + y_2) + ...       float adds in group order; then the op's epilogue (GELU), if any
//
//   docs/quantization.md "Per-embedding-group activation scales" is the contract; qat/fake_quant.cc's QLinearSim
//   computes the same expression. Each slice is padded to whole 128-column kernel blocks (a 64-column group stores
//   and multiplies twice its weights), and each group is one kernel call with its own epilogue: measured 1.3x
//   (ternary) and 1.9x (int8) QLinear-dominated latency with 3 groups (docs/results/act-groups.md).
//
// Usage (from RunQLinear, when op.attrs.act_groups > 1)
//   QC_RETURN_IF_ERROR(exec::RunGroupedQLinear(op, x, m, weight, w_scale, bias, scratch, y));
#pragma once

#include <cstddef>

#include "exec/plan.h"
#include "exec/quantized_ops.h"
#include "qcompress/status.h"

namespace qc::exec {

struct RtTensor;  // exec/executor.h

/// y [m, N] = the grouped QLinear of x [m, K] (row stride K), without the epilogue. `bias` may be null. Overwrites
/// the scratch's int8 rows (scratch.held is cleared).
Status RunGroupedQLinear(const PlannedOp& op, const float* x, size_t m, const ConstantRef& weight,
                         const RtTensor& w_scale, const RtTensor* bias, QuantScratch& scratch, float* y);

}  // namespace qc::exec
