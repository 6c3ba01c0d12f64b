// quant/act_quant.h: symmetric int8 activation quantization with integer row sums (the t2-i8-gemm input).
//
// Overview
//   For a group G of activations (one token row, or the whole [m, k] tensor), with an optional clip c > 0
//   (+inf = none), docs/quantization.md §3:
//
//     x_c  = min(max(x, -c), c)                            float, exact
//     amax = max_G |x_c|                                    exact (max is order-independent)
//     s    = 127 / amax,   d = amax / 127                   float divisions, one rounding each
//            (amax == 0, or 127 / amax overflowing to inf: s = d = 0, every q = 0)
//     q    = clamp(RoundHalfEven(x_c · s), -127, 127)       int8; the product is one float multiply
//     Σq   = Σ_k q[k] per row                               int32, exact
//
//   s quantizes, d dequantizes (x̂ = q · d); the GEMM epilogue multiplies by d, never divides by s. Rows of q are
//   written with `q_cols` >= k entries, columns [k, q_cols) = 0: pass q_cols = T2PaddedK(k) to feed the t2-i8-gemm
//   kernels, which read whole 128-column blocks. Every step is elementwise, a max or an integer sum, so the row kernels
//   (kernels/f32-i8-quant, one per ISA) and any scalar re-implementation give identical q, s, d and Σq.
//   NaN activations are rejected; ±inf is rejected unless a finite clip maps it to ±c.
//
// Usage
//   qc::ActQuantOutput out{q, q_stride, qc::T2PaddedK(k), scale, dequant, row_sum};
//   QC_RETURN_IF_ERROR(qc::QuantizeActivations(x, m, k, x_stride, {qc::ActGranularity::kPerToken, 2.5f}, out));
//   // Fused into a producer's epilogue, one row at a time:
//   qc::ActScale sc = qc::ActScaleFromAbsMax(qc::ActAbsMax(row, k, clip, &has_nan));
//   int32_t sum = qc::QuantizeActivationRow(row, k, clip, sc.scale, q_row, q_cols);
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "qcompress/status.h"

namespace qc {

inline constexpr int32_t kActQMax = 127;  ///< symmetric int8 range [-127, 127]; -128 is never produced
inline constexpr float kActNoClip = std::numeric_limits<float>::infinity();

enum class ActGranularity {
  kPerToken,   ///< one scale per row of [m, k] (the runtime default; see docs/quantization.md §3)
  kPerTensor,  ///< one scale for the whole [m, k] block (what TernaryBERT trains with)
};

struct ActQuantParams {
  ActGranularity granularity = ActGranularity::kPerToken;
  float clip = kActNoClip;  ///< > 0; TernaryBERT uses 2.5
};

/// Where QuantizeActivations writes. All arrays are required; scale, dequant and row_sum have m entries (per-tensor
/// quantization repeats its one scale in every row).
struct ActQuantOutput {
  int8_t* q = nullptr;         ///< [m, q_stride]
  size_t q_stride = 0;         ///< >= q_cols
  size_t q_cols = 0;           ///< >= k; columns [k, q_cols) are written 0
  float* scale = nullptr;      ///< s per row
  float* dequant = nullptr;    ///< d per row
  int32_t* row_sum = nullptr;  ///< Σ_k q per row
};

struct ActScale {
  float scale = 0.0f;    ///< s = 127 / amax, or 0
  float dequant = 0.0f;  ///< d = amax / 127, or 0
};

/// max_k |clamp(x[k], -clip, clip)| (= min(max|x|, clip)); sets *has_nan when any x is NaN (the result is then
/// meaningless).
float ActAbsMax(const float* x, size_t k, float clip, bool* has_nan);

/// s and d for a group's amax, including the all-zero rule.
ActScale ActScaleFromAbsMax(float amax);

/// Quantizes one row of k finite-after-clip values with scale s into q[0, q_cols) (zeros past k); returns Σq.
int32_t QuantizeActivationRow(const float* x, size_t k, float clip, float scale, int8_t* q, size_t q_cols);

/// The whole [m, k] block (row stride x_stride). Fails on NaN, on ±inf that the clip does not bound, on clip <= 0
/// or NaN, or on q_cols < k / q_stride < q_cols, naming the row; outputs are then unspecified.
Status QuantizeActivations(const float* x, size_t m, size_t k, size_t x_stride, const ActQuantParams& params,
                           const ActQuantOutput& out);

}  // namespace qc
