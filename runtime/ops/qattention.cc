// QAttention forward (ops/qattention.h). Per (batch, head) task: quantize the head's Q, K, V rows, S_int on the
// selected int8 kernel, the float epilogue and softmax row by row in the fixed order of the contract, requantize
// P ⊙ dv, O_int on the same kernel, dequantize. Each step is a kernel with one scalar oracle (the int8 products, the
// softmax row, the row quantizers), so every ISA returns the same bits.
#include "ops/qattention.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "configs/attention_config.h"
#include "configs/qsoftmax_config.h"
#include "kernels/i8-i8-attention/kernels.h"
#include "quant/act_quant.h"

namespace qc {
namespace {

constexpr size_t kAlign = 64;

size_t AlignUp(size_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

// Byte offsets of one task's buffers inside the scratch (each 64-byte aligned).
struct Layout {
  size_t s = 0, dh = 0, kpd = 0, kps = 0;  // tokens, head width, both padded to the kernel's block
  size_t q_codes = 0, k_codes = 0, v_row = 0, v_t = 0, p_codes = 0;
  size_t s_int = 0, o_int = 0;
  size_t dq = 0, dk = 0, dv = 0, dp = 0, add = 0, row = 0;
  size_t total = 0;
};

Layout MakeLayout(const QAttentionParams& p) {
  Layout l;
  l.s = p.seq;
  l.dh = p.num_heads ? p.hidden / p.num_heads : 0;
  l.kpd = I8AttnPaddedK(l.dh);
  l.kps = I8AttnPaddedK(l.s);
  size_t at = 0;
  auto take = [&at](size_t bytes) {
    const size_t here = at;
    at += AlignUp(bytes);
    return here;
  };
  l.q_codes = take(l.s * l.kpd);
  l.k_codes = take(l.s * l.kpd);
  l.v_row = take(l.kpd);
  l.v_t = take(l.dh * l.kps);  // V codes transposed: [dh, kps], zero for tokens >= s
  l.p_codes = take(l.s * l.kps);
  l.s_int = take(l.s * l.s * sizeof(int32_t));
  l.o_int = take(l.s * l.dh * sizeof(int32_t));
  l.dq = take(l.s * sizeof(float));
  l.dk = take(l.s * sizeof(float));
  l.dv = take(l.s * sizeof(float));
  l.dp = take(l.s * sizeof(float));
  l.add = take(l.s * sizeof(float));
  l.row = take(l.s * sizeof(float));
  l.total = at + kAlign;  // room to align the caller's pointer
  return l;
}

std::string Where(const char* tensor, size_t b, size_t token, size_t head) {
  return std::string(tensor) + "[batch " + std::to_string(b) + ", token " + std::to_string(token) + ", head " +
         std::to_string(head) + "]";
}

// One (token, head) row: docs/quantization.md §3 with the op's clip; rows are zero-padded to `cols`.
Status QuantizeRow(const float* x, size_t dh, float clip, int8_t* codes, size_t cols, float* dequant,
                   const char* tensor, size_t b, size_t token, size_t head) {
  bool has_nan = false;
  const float amax = ActAbsMax(x, dh, clip, &has_nan);
  if (has_nan || !std::isfinite(amax)) {
    return InvalidArgument("QAttention: " + Where(tensor, b, token, head) + " holds " +
                           (has_nan ? "NaN" : "an infinity the clip does not bound"));
  }
  const ActScale sc = ActScaleFromAbsMax(amax);
  QuantizeActivationRow(x, dh, clip, sc.scale, codes, cols);
  *dequant = sc.dequant;
  return Status::Ok();
}

}  // namespace

Status ValidateQAttention(const QAttentionParams& p) {
  if (p.num_heads == 0 || p.hidden == 0 || p.hidden % p.num_heads != 0) {
    return InvalidArgument("QAttention: hidden size " + std::to_string(p.hidden) + " is not a positive multiple of " +
                           std::to_string(p.num_heads) + " heads");
  }
  const size_t strides[3] = {p.q_stride, p.k_stride, p.v_stride};
  const char* names[3] = {"q", "k", "v"};
  for (int t = 0; t < 3; ++t) {
    if (strides[t] != 0 && strides[t] < p.hidden) {
      return InvalidArgument(std::string("QAttention: ") + names[t] + " row stride " + std::to_string(strides[t]) +
                             " is smaller than the hidden size " + std::to_string(p.hidden));
    }
  }
  if (p.batch > 0 && (p.seq == 0 || p.seq > kI8AttnMaxK)) {
    return InvalidArgument("QAttention: sequence length " + std::to_string(p.seq) + " is outside [1, " +
                           std::to_string(kI8AttnMaxK) + "]");
  }
  if (!(p.act_clip >= 0.0f)) {
    return InvalidArgument("QAttention: act_clip " + std::to_string(p.act_clip) + " must be > 0, or 0 for none");
  }
  return Status::Ok();
}

size_t QAttentionScratchBytes(const QAttentionParams& p) {
  return MakeLayout(p).total;
}

size_t QAttentionTaskCount(const QAttentionParams& p) {
  return p.batch * p.num_heads;
}

Status QAttentionTasks(const QAttentionParams& p, const float* q, const float* k, const float* v, const TokenMask& mask,
                       float* out, void* scratch, size_t task_begin, size_t task_end, const QAttentionProbe* probe) {
  const Layout l = MakeLayout(p);
  const size_t s = l.s, dh = l.dh, kpd = l.kpd, kps = l.kps, hidden = p.hidden, heads = p.num_heads;
  const size_t qs = p.q_stride ? p.q_stride : hidden;
  const size_t ks = p.k_stride ? p.k_stride : hidden;
  const size_t vs = p.v_stride ? p.v_stride : hidden;
  const float clip = p.act_clip > 0.0f ? p.act_clip : kActNoClip;
  const uintptr_t raw = reinterpret_cast<uintptr_t>(scratch);
  unsigned char* base = static_cast<unsigned char*>(scratch) + (kAlign - raw % kAlign) % kAlign;
  int8_t* q_codes = reinterpret_cast<int8_t*>(base + l.q_codes);
  int8_t* k_codes = reinterpret_cast<int8_t*>(base + l.k_codes);
  int8_t* v_row = reinterpret_cast<int8_t*>(base + l.v_row);
  int8_t* v_t = reinterpret_cast<int8_t*>(base + l.v_t);
  int8_t* p_codes = reinterpret_cast<int8_t*>(base + l.p_codes);
  int32_t* s_int = reinterpret_cast<int32_t*>(base + l.s_int);
  int32_t* o_int = reinterpret_cast<int32_t*>(base + l.o_int);
  float* dq = reinterpret_cast<float*>(base + l.dq);
  float* dk = reinterpret_cast<float*>(base + l.dk);
  float* dv = reinterpret_cast<float*>(base + l.dv);
  float* dp = reinterpret_cast<float*>(base + l.dp);
  float* add = reinterpret_cast<float*>(base + l.add);
  float* row = reinterpret_cast<float*>(base + l.row);
  const I8AttnGemmFn gemm = GetI8AttnGemmKernel().fn;
  const QSoftmaxRowFn softmax = GetQSoftmaxKernel().fn;
  const bool masked = !mask.empty();
  size_t mask_batch = static_cast<size_t>(-1);

  for (size_t t = task_begin; t < task_end; ++t) {
    const size_t b = t / heads, head = t % heads;
    if (masked && b != mask_batch) {
      for (size_t j = 0; j < s; ++j) {
        const float m = mask.Value(b * s + j);
        if (std::isnan(m)) {
          return InvalidArgument("QAttention: mask[batch " + std::to_string(b) + ", token " + std::to_string(j) +
                                 "] is NaN");
        }
        // The float Attention op's term (ops/attention.cc): exactly 0 for kept keys, even when mask_fill is -inf.
        add[j] = m == 1.0f ? 0.0f : (1.0f - m) * p.mask_fill;
      }
      mask_batch = b;
    }

    // 1. Per (token, head) quantization; V goes to a transposed [dh, kps] block so P·V is a row-by-row product.
    const size_t col = head * dh;
    for (size_t i = 0; i < s; ++i) {
      QC_RETURN_IF_ERROR(
          QuantizeRow(q + (b * s + i) * qs + col, dh, clip, q_codes + i * kpd, kpd, &dq[i], "q", b, i, head));
      QC_RETURN_IF_ERROR(
          QuantizeRow(k + (b * s + i) * ks + col, dh, clip, k_codes + i * kpd, kpd, &dk[i], "k", b, i, head));
      QC_RETURN_IF_ERROR(QuantizeRow(v + (b * s + i) * vs + col, dh, clip, v_row, dh, &dv[i], "v", b, i, head));
      for (size_t c = 0; c < dh; ++c) v_t[c * kps + i] = v_row[c];
      if (probe != nullptr && probe->v_codes != nullptr) std::memcpy(probe->v_codes + (t * s + i) * dh, v_row, dh);
    }
    for (size_t c = 0; c < dh; ++c) std::memset(v_t + c * kps + s, 0, kps - s);

    // 2. S_int = Q_int · K_intᵀ.
    I8AttnGemmArgs qk;
    qk.a = q_codes;
    qk.a_stride = kpd;
    qk.b = k_codes;
    qk.b_stride = kpd;
    qk.c = s_int;
    qk.c_stride = s;
    qk.m = s;
    qk.n = s;
    qk.k = dh;
    gemm(qk, 0, s, 0, s);

    // 2-4. Scores, softmax, P' = p·dv requantized per row (no clip). The row kernel follows docs/quantization.md
    // §7.4 step 3 (kernels/i32-f32-softmax/kernels.h: its exp and its 16-lane sum order).
    QSoftmaxRowArgs sm;
    sm.dk = dk;
    sm.scale = p.scale;
    sm.add = masked ? add : nullptr;
    sm.dv = dv;
    sm.n = s;
    sm.p = row;
    for (size_t i = 0; i < s; ++i) {
      sm.s = s_int + i * s;
      sm.dq = dq[i];
      softmax(sm);
      bool has_nan = false;
      const float amax = ActAbsMax(row, s, kActNoClip, &has_nan);
      int8_t* pc = p_codes + i * kps;
      if (has_nan) {  // all scores -inf (or overflowed): the float op's NaN row, kept NaN here
        std::memset(pc, 0, kps);
        dp[i] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      const ActScale sc = ActScaleFromAbsMax(amax);
      QuantizeActivationRow(row, s, kActNoClip, sc.scale, pc, kps);
      dp[i] = sc.dequant;
    }

    // 4. O_int = P_int · V_int, dequantized per query row.
    I8AttnGemmArgs pv;
    pv.a = p_codes;
    pv.a_stride = kps;
    pv.b = v_t;
    pv.b_stride = kps;
    pv.c = o_int;
    pv.c_stride = dh;
    pv.m = s;
    pv.n = dh;
    pv.k = s;
    gemm(pv, 0, s, 0, dh);
    for (size_t i = 0; i < s; ++i) {
      float* o = out + (b * s + i) * hidden + col;
      const int32_t* oi = o_int + i * dh;
      for (size_t c = 0; c < dh; ++c) o[c] = static_cast<float>(oi[c]) * dp[i];
    }

    if (probe != nullptr) {
      for (size_t i = 0; i < s; ++i) {
        if (probe->q_codes) std::memcpy(probe->q_codes + (t * s + i) * dh, q_codes + i * kpd, dh);
        if (probe->k_codes) std::memcpy(probe->k_codes + (t * s + i) * dh, k_codes + i * kpd, dh);
        if (probe->p_codes) std::memcpy(probe->p_codes + (t * s + i) * s, p_codes + i * kps, s);
      }
      if (probe->s_int) std::memcpy(probe->s_int + t * s * s, s_int, s * s * sizeof(int32_t));
      if (probe->o_int) std::memcpy(probe->o_int + t * s * dh, o_int, s * dh * sizeof(int32_t));
    }
  }
  return Status::Ok();
}

Status QAttentionForward(const QAttentionParams& p, const float* q, const float* k, const float* v,
                         const TokenMask& mask, float* out, void* scratch) {
  QC_RETURN_IF_ERROR(ValidateQAttention(p));
  std::vector<unsigned char> owned;
  if (scratch == nullptr) {
    owned.resize(QAttentionScratchBytes(p));
    scratch = owned.data();
  }
  return QAttentionTasks(p, q, k, v, mask, out, scratch, 0, QAttentionTaskCount(p));
}

}  // namespace qc
