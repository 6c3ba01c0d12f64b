#include "ops/attention.h"

#include <string>
#include <vector>

#include "configs/gemm_config.h"
#include "ops/softmax.h"

namespace qc {

Status ValidateAttention(const AttentionParams& p) {
  if (p.num_heads == 0 || p.hidden % p.num_heads != 0) {
    return InvalidArgument("attention: hidden size " + std::to_string(p.hidden) + " is not a multiple of " +
                           std::to_string(p.num_heads) + " heads");
  }
  if (p.qkv_stride != 0 && p.qkv_stride < p.hidden) {
    return InvalidArgument("attention: q/k/v row stride " + std::to_string(p.qkv_stride) +
                           " is smaller than the hidden size " + std::to_string(p.hidden));
  }
  return Status::Ok();
}

size_t AttentionScratchFloats(const AttentionParams& p) {
  const size_t head_dim = p.num_heads ? p.hidden / p.num_heads : 0;
  return p.seq * p.seq + p.seq * head_dim + p.seq;
}

size_t AttentionTaskCount(const AttentionParams& p) {
  return p.batch * p.num_heads;
}

void MultiHeadAttentionTasks(const AttentionParams& p, const float* q, const float* k, const float* v,
                             const TokenMask& mask, float* out, float* scratch, size_t task_begin, size_t task_end) {
  const size_t s = p.seq, h = p.hidden, d = h / p.num_heads;
  const size_t stride = p.qkv_stride ? p.qkv_stride : h;
  float* scores = scratch;     // [S, S]
  float* vt = scores + s * s;  // [d, S]: V of one head, transposed so P·V is X·Wᵀ
  float* add = vt + s * d;     // [S]: additive mask per key
  const F32GemmFn gemm = GetF32GemmKernel().fn;
  size_t mask_batch = static_cast<size_t>(-1);
  for (size_t t = task_begin; t < task_end; ++t) {
    const size_t b = t / p.num_heads, head = t % p.num_heads;
    if (b != mask_batch) {
      for (size_t j = 0; j < s; ++j) {
        const float m = mask.Value(b * s + j);
        // Exactly 0 for kept keys, even when mask_fill is -inf (where (1 - 1)·fill would be NaN).
        add[j] = m == 1.0f ? 0.0f : (1.0f - m) * p.mask_fill;
      }
      mask_batch = b;
    }
    const size_t base = b * s * stride + head * d;

    F32GemmArgs qk;  // scores = Q_h · K_hᵀ
    qk.x = q + base;
    qk.x_stride = stride;
    qk.w = k + base;
    qk.w_stride = stride;
    qk.y = scores;
    qk.y_stride = s;
    qk.m = s;
    qk.n = s;
    qk.k = d;
    gemm(qk, 0, s, 0, s);

    for (size_t i = 0; i < s; ++i) {
      float* row = scores + i * s;
      for (size_t j = 0; j < s; ++j) row[j] = row[j] * p.scale + add[j];
      SoftmaxRowInPlace(row, s);
    }

    for (size_t j = 0; j < s; ++j) {
      const float* vr = v + base + j * stride;
      for (size_t c = 0; c < d; ++c) vt[c * s + j] = vr[c];
    }

    F32GemmArgs pv;  // context = P · V_h = P · (V_hᵀ)ᵀ
    pv.x = scores;
    pv.x_stride = s;
    pv.w = vt;
    pv.w_stride = s;
    pv.y = out + b * s * h + head * d;
    pv.y_stride = h;
    pv.m = s;
    pv.n = d;
    pv.k = s;
    gemm(pv, 0, s, 0, d);
  }
}

Status MultiHeadAttention(const AttentionParams& p, const float* q, const float* k, const float* v,
                          const TokenMask& mask, float* out, float* scratch) {
  QC_RETURN_IF_ERROR(ValidateAttention(p));
  std::vector<float> owned;
  if (scratch == nullptr) {
    owned.resize(AttentionScratchFloats(p));
    scratch = owned.data();
  }
  MultiHeadAttentionTasks(p, q, k, v, mask, out, scratch, 0, AttentionTaskCount(p));
  return Status::Ok();
}

}  // namespace qc
