// exec/quantized_ops.h: execution of the quantized ops (QLinear, QEmbedding, QAttention, QAttentionQkv).
//
// Overview
//   The arithmetic is docs/quantization.md "Quantized ops", bit for bit:
//   * QLinear: the [M, K] input rows are quantized to int8 (quant/act_quant.h) per the op's act_granularity
//     (per_token, per_tensor, or static with the exported act_amax), clipped by act_clip when set, into a zero-padded
//     int8 buffer; the packed weights are multiplied by the kernel configs/t2_gemm_config.h selects (exact int32,
//     then T2Output's fma epilogue with w_scale, the row dequant and the bias); then the GELU epilogue, if any, with
//     the same scalar functions the float Gelu op uses (ops/elementwise.h). With act_groups > 1 (format 1.3) each
//     column group of K has its own scales: exec/grouped_qlinear.h.
//   * QEmbedding: out = scale[id] · w(code), one float multiply per element (TwnDequantize for T2).
//   * QAttention: ops/qattention.h QAttentionForward (int8 Q·Kᵀ and P·V, float softmax); QAttentionQkv runs the
//     same code on column views of one [B, S, 3H] buffer (row strides 3H at qkv, qkv + H, qkv + 2H).
//   The int8 rows, scales and row sums live in a QuantScratch the executor keeps, so steady-state runs reuse them.
//
// Usage
//   exec::QuantScratch scratch;                 // one per executor
//   QC_RETURN_IF_ERROR(exec::RunQLinear(op, x, weight, w_scale, bias, scratch, &out));
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "exec/plan.h"
#include "qcompress/status.h"

namespace qc {
class ThreadPool;  // core/thread_pool.h
}

namespace qc::exec {

struct RtTensor;  // exec/executor.h

/// Buffers reused across runs: int8 activation rows (padded to the kernel's K block), their scales, row sums.
struct QuantScratch {
  ThreadPool* pool = nullptr;  ///< the session's pool (exec/parallel_ops.h splits); null: the calling thread only
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<float> dequant;
  std::vector<int32_t> row_sum;
  std::vector<float> group_out;          ///< one activation group's [M, N] product (exec/grouped_qlinear.h)
  std::vector<unsigned char> attention;  ///< QAttentionScratchBytes per part of the (batch × head) split
  /// Identity of the input the next RunQLinear reads (set by the executor: run number and value id, 0 = unknown),
  /// and what q, scale, dequant and row_sum currently hold. QLinears that read the same value with the same
  /// activation attributes (Q, K and V of a layer) quantize it once.
  struct Held {
    uint64_t source = 0;  ///< 0: nothing reusable
    int64_t clip_bits = 0, granularity = 0, amax_bits = 0;
    size_t m = 0, k = 0, q_cols = 0;
    bool operator==(const Held& o) const {
      return source == o.source && clip_bits == o.clip_bits && granularity == o.granularity &&
             amax_bits == o.amax_bits && m == o.m && k == o.k && q_cols == o.q_cols;
    }
  };
  uint64_t next_source = 0;
  Held held;
};

/// The operands T2GemmArgs and I8GemmArgs share (one kernel contract), for one QLinear product: the packed weight,
/// its scales ([N], or [1] when !alpha_per_row), the scratch's int8 rows (q_cols wide) with their sums and dequant
/// factors, `bias` (null: +0), and y [m, n].
template <typename GemmArgs>
void SetGemmOperands(GemmArgs& a, const uint8_t* w, const float* alpha, bool alpha_per_row, const QuantScratch& s,
                     size_t q_cols, const float* bias, float* y, size_t m, size_t n, size_t k) {
  a.w = w;
  a.alpha = alpha;
  a.alpha_per_row = alpha_per_row;
  a.q = s.q.data();
  a.q_stride = q_cols;
  a.q_sum = s.row_sum.data();
  a.q_dequant = s.dequant.data();
  a.bias = bias;
  a.y = y;
  a.y_stride = n;
  a.m = m;
  a.n = n;
  a.k = k;
}

/// y = QLinear(x) into `out` (dims x.dims with the last replaced by N). `bias` may be null.
Status RunQLinear(const PlannedOp& op, const RtTensor& x, const ConstantRef& weight, const RtTensor& w_scale,
                  const RtTensor* bias, QuantScratch& scratch, RtTensor* out);

/// out[..., e] = scale[id] · w(table[id, e]); an id outside [0, V) is kOutOfRange naming the op and the position.
/// Token rows are split over `pool` (null: the calling thread), so the next op's row split finds them local.
Status RunQEmbedding(const PlannedOp& op, const RtTensor& ids, const ConstantRef& table, const RtTensor& scale,
                     ThreadPool* pool, RtTensor* out);

/// out = QAttention(q, k, v, mask) with q, k, v [B, S, H] of one shape; `mask` null or [B, S].
Status RunQAttention(const PlannedOp& op, const RtTensor& q, const RtTensor& k, const RtTensor& v,
                     const RtTensor* mask, QuantScratch& scratch, RtTensor* out);

/// out = QAttention(qkv[..., 0:H], qkv[..., H:2H], qkv[..., 2H:3H], mask) with qkv [B, S, 3H]; `mask` null or [B, S].
Status RunQAttentionQkv(const PlannedOp& op, const RtTensor& qkv, const RtTensor* mask, QuantScratch& scratch,
                        RtTensor* out);

}  // namespace qc::exec
