// ops/attention.h: multi-head scaled dot-product attention in fp32 (BERT / ViT self-attention core).
//
// Overview
//   Inputs are the projected q, k, v, each [B, S, H] row-major (or three column ranges of one fused [B, S, 3H]
//   buffer: set qkv_stride to the distance between tokens). With h heads of size d = H/h, for each batch b and head
//   n:
//     scores = (Q_bn · K_bnᵀ) · scale + add_j,   add_j = 0 if mask[b, j] == 1 else (1 - mask[b, j]) · mask_fill
//     P      = softmax over keys j (ops/softmax.h)
//     out[b, :, n·d:(n+1)·d] = P · V_bn
//   which is Hugging Face's eager path: extended mask (1 - m)·fill with fill = finfo(float32).min (BERT today) or
//   -10000 (older BERT), added after scaling. Keys are masked, queries are not: padding queries still get a
//   (meaningless) context, as in PyTorch.
//   A row whose keys are all masked: with fill = float min every score rounds to the same value, so the weights
//   are uniform (1/S each) and the context is the mean of V, exactly as PyTorch; with fill = -10000 the shift is
//   the same for every key, so the weights equal the unmasked softmax up to the rounding of scores near -10000
//   (~1e-3 relative, as in PyTorch); with fill = -inf the row is NaN (as torch.softmax of all -inf).
//   Both products run on the configured fp32 GEMM kernel (configs/gemm_config.h), which reads one head straight
//   out of the strided buffers; only V_bn is transposed into scratch. Work splits into B·h independent tasks so a
//   thread pool can run ranges of them, each thread with its own scratch.
//
// Usage
//   qc::AttentionParams p{batch, seq, hidden, heads};
//   p.scale = 1.0f / std::sqrt(float(hidden / heads));
//   p.mask_fill = std::numeric_limits<float>::lowest();
//   QC_RETURN_IF_ERROR(qc::MultiHeadAttention(p, q, k, v, qc::TokenMask::Int64(mask), context, nullptr));
#pragma once

#include <cstddef>
#include <limits>

#include "ops/token_mask.h"
#include "qcompress/status.h"

namespace qc {

struct AttentionParams {
  size_t batch = 0;
  size_t seq = 0;
  size_t hidden = 0;  ///< H = num_heads · head_dim
  size_t num_heads = 0;
  size_t qkv_stride = 0;  ///< floats between consecutive tokens of q, k, v; 0 means hidden
  float scale = 1.0f;     ///< multiplies Q·Kᵀ, usually 1/√head_dim
  float mask_fill = std::numeric_limits<float>::lowest();  ///< times (1 - mask), added to masked keys' scores
};

/// kInvalidArgument unless num_heads > 0, hidden is a multiple of num_heads and qkv_stride (if set) >= hidden.
Status ValidateAttention(const AttentionParams& params);

/// Floats of scratch one call (or one thread running a task range) needs: seq² + seq·head_dim + seq.
size_t AttentionScratchFloats(const AttentionParams& params);

/// Number of independent (batch, head) tasks: batch · num_heads.
size_t AttentionTaskCount(const AttentionParams& params);

/// The whole attention: q, k, v [B, S, ·] with row stride qkv_stride; mask [B, S] or empty; out [B, S, H], not
/// overlapping q, k or v. scratch holds AttentionScratchFloats floats, or is null to allocate for this call.
Status MultiHeadAttention(const AttentionParams& params, const float* q, const float* k, const float* v,
                          const TokenMask& mask, float* out, float* scratch);

/// Tasks [task_begin, task_end) of MultiHeadAttention (task t = batch t / num_heads, head t % num_heads); writes
/// only those heads' columns of out. params must have passed ValidateAttention; scratch must not be null.
void MultiHeadAttentionTasks(const AttentionParams& params, const float* q, const float* k, const float* v,
                             const TokenMask& mask, float* out, float* scratch, size_t task_begin, size_t task_end);

}  // namespace qc
