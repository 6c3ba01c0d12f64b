// passes/merge_qkv.h: one [3H, K] GEMM for an attention's query, key and value projections.
//
// Rule: QAttention(QLinear_q(x), QLinear_k(x), QLinear_v(x), mask) -> QAttentionQkv(QLinear_qkv(x), mask) when
//   * the three producers are distinct QLinear nodes reading the same value x, none annotated;
//   * they agree on weight_format, in_features and everything that quantizes x (act_granularity, act_clip and
//     act_amax, compared bit for bit, and act_groups), and none has an epilogue;
//   * each output is read by this attention only and is not a graph output;
//   * each has out_features H = the attention's hidden size, H a multiple of the packed layouts' 4-row groups
//     (runtime/quant/{t2,i4,i8}_pack.h), so the three packed blobs side by side are the packing of the [3H, K]
//     matrix;
//   * weight, w_scale and (where present) bias are constants; the attention carries no annotation.
// Anything else leaves the site untouched. The merged QLinear's weight is the three packed blobs concatenated (with
// act_groups G, slice by slice: q's, k's and v's column slice g make the merged slice g),
// w_scale is [3H] (a per-tensor scale repeated H times: the epilogue computes fl(w_scale_j · d_i) either way) and
// bias is [3H] with +0.0f for a part without one (the kernels add +0.0f for a missing bias), so every output element
// is the same float as before (docs/quantization.md §7.2, §7.6).
//
// Names: the merged QLinear is "<P>qkv", where P is the longest common prefix of the three QLinear names cut after
// its last '/' or '.' ("/enc/layer.0/attention/self/query/MatMul" ... -> "/enc/layer.0/attention/self/qkv"); its
// constants are "<W>qkv.qweight", "<W>qkv.qscale" and "<W>qkv.qbias" with W the same prefix of the three weight
// constants' names (made unique with passes/naming.h). The QAttentionQkv node keeps the attention's name and its
// output the attention output's name; the merged projection's output is unnamed.
#pragma once

#include <memory>

#include "passes/pass.h"

namespace qc::passes {

std::unique_ptr<Pass> MakeMergeQkvPass();

}  // namespace qc::passes
