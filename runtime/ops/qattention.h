// ops/qattention.h: quantized multi-head attention (IR op QAttention): int8 Q·Kᵀ and P·V, float softmax.
//
// Overview
//   The arithmetic of docs/quantization.md "QAttention", bit for bit. Inputs as for ops/attention.h: q, k, v
//   [B, S, H] (each may be a column range of a fused [B, S, 3H] buffer: give its row stride), optional key mask
//   [B, S]. For each batch b and head h (width dh = H / num_heads), with act_clip c (0 = none):
//     1. every (token, head) row of Q, K and V is quantized on its own (quant/act_quant.h, with the clip):
//        codes q[i,:], k[j,:], v[j,:] and dequantization factors dq[i], dk[j], dv[j];
//     2. S_int[i,j] = Σ_c q[i,c]·k[j,c] (int32, exact: kernels/i8-i8-attention, configs/attention_config.h);
//        score = fl(fl(float(S_int)·fl(dq_i·dk_j))·scale), then + add_j when there is a mask, where add_j is the
//        float Attention op's mask term: 0 for mask 1, else fl((1 − mask)·mask_fill);
//     3. softmax over j, one fixed definition: m = max score; e_j = std::exp(score_j − m) (float);
//        sum = Σ_j e_j sequentially in j order (float); p_j = e_j / sum;
//     4. P'_j = fl(p_j·dv_j) is quantized per row i (no clip): codes pq[i,j], factor dp[i];
//        O_int[i,c] = Σ_j pq[i,j]·v[j,c] (int32, exact); out[b, i, h·dh + c] = fl(float(O_int)·dp_i).
//   No float step is contracted into an FMA (an explicit barrier separates fl(·scale) from the mask add even where
//   the compiler would fuse), so the result is the same on every ISA and equals a plain scalar re-implementation.
//   Like the float op: queries are not masked; a fully masked row with mask_fill = float lowest gets uniform weights
//   (the mean of V's dequantized codes); a row whose softmax is NaN (all scores −inf, i.e. mask_fill = −inf and every
//   key masked) gives a NaN output row, as torch.softmax does. NaN in q, k, v or the mask, and ±inf in q, k, v that
//   the clip does not bound, are errors naming the tensor, batch, token and head.
//   Work splits into B·num_heads independent tasks (a thread pool runs ranges of them, each thread with its own
//   scratch); every task computes the same bits whatever the split.
//
// Usage
//   qc::QAttentionParams p;
//   p.batch = b; p.seq = s; p.hidden = 768; p.num_heads = 12;
//   p.q_stride = p.k_stride = p.v_stride = 3 * 768;       // views into a fused QKV buffer (0 = hidden)
//   p.scale = 1.0f / std::sqrt(64.0f);
//   p.mask_fill = std::numeric_limits<float>::lowest();
//   p.act_clip = 0.0f;                                     // none
//   std::vector<unsigned char> scratch(qc::QAttentionScratchBytes(p));   // per thread, reusable
//   QC_RETURN_IF_ERROR(qc::QAttentionForward(p, qkv, qkv + 768, qkv + 1536, qc::TokenMask::Int64(mask), out,
//                                            scratch.data()));
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "ops/token_mask.h"
#include "qcompress/status.h"

namespace qc {

struct QAttentionParams {
  size_t batch = 0;
  size_t seq = 0;     ///< S, at most kI8AttnMaxK (65536)
  size_t hidden = 0;  ///< H = num_heads · head_dim
  size_t num_heads = 0;
  size_t q_stride = 0;  ///< floats between consecutive tokens of q; 0 means hidden
  size_t k_stride = 0;  ///< likewise for k
  size_t v_stride = 0;  ///< likewise for v
  float scale = 1.0f;   ///< multiplies the dequantized Q·Kᵀ, usually 1/√head_dim
  float mask_fill = std::numeric_limits<float>::lowest();  ///< times (1 − mask), added to masked keys' scores
  float act_clip = 0.0f;                                   ///< symmetric clip of q, k, v before quantization; 0 = none
};

/// Optional copies of one call's integer intermediates, for tests. Arrays are indexed by task t = b·num_heads + h;
/// any pointer may be null. head_dim = hidden / num_heads.
struct QAttentionProbe {
  int8_t* q_codes = nullptr;  ///< [tasks, S, head_dim]
  int8_t* k_codes = nullptr;  ///< [tasks, S, head_dim]
  int8_t* v_codes = nullptr;  ///< [tasks, S, head_dim]
  int8_t* p_codes = nullptr;  ///< [tasks, S, S]
  int32_t* s_int = nullptr;   ///< [tasks, S, S]
  int32_t* o_int = nullptr;   ///< [tasks, S, head_dim]
};

/// kInvalidArgument unless num_heads > 0, hidden is a multiple of it, strides (if set) >= hidden, 1 <= seq <= 65536
/// (or batch = 0), and act_clip is 0 or > 0 (not NaN).
Status ValidateQAttention(const QAttentionParams& params);

/// Bytes of scratch one call (or one thread running a task range) needs; any alignment.
size_t QAttentionScratchBytes(const QAttentionParams& params);

/// Number of independent (batch, head) tasks: batch · num_heads.
size_t QAttentionTaskCount(const QAttentionParams& params);

/// The whole op: q, k, v [B, S, ·] with their row strides; mask [B, S] or empty; out [B, S, H] (row stride hidden),
/// not overlapping q, k, v. scratch holds QAttentionScratchBytes bytes, or is null to allocate for this call.
Status QAttentionForward(const QAttentionParams& params, const float* q, const float* k, const float* v,
                         const TokenMask& mask, float* out, void* scratch);

/// Tasks [task_begin, task_end) of QAttentionForward (task t = batch t / num_heads, head t % num_heads); writes only
/// those heads' columns of out. params must have passed ValidateQAttention; scratch must not be null. Returns the
/// first input error met (the heads before it are written). probe may be null.
Status QAttentionTasks(const QAttentionParams& params, const float* q, const float* k, const float* v,
                       const TokenMask& mask, float* out, void* scratch, size_t task_begin, size_t task_end,
                       const QAttentionProbe* probe = nullptr);

}  // namespace qc
