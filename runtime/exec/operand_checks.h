// exec/operand_checks.h: run-time operand checks and parameter decoding shared by the float and quantized op runners.
//
// The float executor (exec/executor.cc) and the quantized ops (exec/quantized_ops.cc) validate the same operand
// shapes and decode the same attributes for attention; keeping those rules here means an error message or the
// mask_fill clamp cannot drift between Attention, QAttention and QAttentionQkv.
//
//   QC_RETURN_IF_ERROR(CheckAttentionShapes(op, q, k, v, mask_or_null));
//   QC_ASSIGN_OR_RETURN(std::vector<int64_t> q_dims, FusedQkvDims(op, qkv, mask_or_null));   // QAttentionQkv
//   AttentionParams p;
//   FillAttentionParams(op, q.dims, &p);   // also fills QAttentionParams
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "exec/plan.h"
#include "qcompress/status.h"

namespace qc::exec {

/// "[2, 7, 64]".
std::string DimsText(const std::vector<int64_t>& dims);

/// q, k and v share one shape; the optional mask is [batch, sequence] of q. Errors start with op.description.
Status CheckAttentionShapes(const PlannedOp& op, const RtTensor& q, const RtTensor& k, const RtTensor& v,
                            const RtTensor* mask);

/// QAttentionQkv's qkv is float [batch, sequence, 3·hidden] and the optional mask [batch, sequence]; returns the
/// [batch, sequence, hidden] of each of q, k and v. Errors start with op.description.
Expected<std::vector<int64_t>> FusedQkvDims(const PlannedOp& op, const RtTensor& qkv, const RtTensor* mask);

/// Sizes from q's [batch, sequence, hidden] and the op's num_heads, scale and mask_fill. A mask_fill below the float
/// range (e.g. -inf or -1e300 from an exporter) means "the most negative float".
template <class Params>
void FillAttentionParams(const PlannedOp& op, const std::vector<int64_t>& q_dims, Params* p) {
  p->batch = static_cast<size_t>(q_dims[0]);
  p->seq = static_cast<size_t>(q_dims[1]);
  p->hidden = static_cast<size_t>(q_dims[2]);
  p->num_heads = static_cast<size_t>(op.attrs.num_heads);
  p->scale = static_cast<float>(op.attrs.scale);
  p->mask_fill = static_cast<float>(std::max<double>(op.attrs.mask_fill, std::numeric_limits<float>::lowest()));
}

}  // namespace qc::exec
