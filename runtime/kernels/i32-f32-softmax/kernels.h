// kernels/i32-f32-softmax/kernels.h: one row of QAttention's softmax, from the exact Q·Kᵀ sums to P ⊙ dv.
//
// Overview
//   For query row i of one (batch, head) task (docs/quantization.md §7.4 steps 2-4), with n keys:
//
//     score_j = fl(fl(float(S[j]) · fl(dq · dk_j)) · scale)  [ + add_j ]     no fused operations
//     m       = max over the non-NaN score_j (-inf if none)
//     e_j     = QcExp(score_j − m)                                         the exp below
//     sum     = Σ e_j in 16 lanes: lane l adds the e_j with j mod 16 = l in increasing j, then the lanes are
//               folded in halves (l += l + 8, then l += l + 4, l += l + 2, l += l + 1)
//     p_j     = fl(fl(e_j / sum) · dv_j)
//
//   QcExp(x), for x <= 0 or NaN (the only arguments a softmax produces): 0 when x < -87; otherwise
//     n = nearbyint(x · log2 e)  (ties to even),  r = fma(n, -ln2_hi, x),  r = fma(n, -ln2_lo, r),
//     P = Cephes' degree-5 polynomial in r by fused Horner steps,  t = fma(P, r·r, r),
//     QcExp = fl(t + 1) · 2^n  (2^n built from its exponent bits; n ∈ [-126, 0], one rounding, no flush to zero).
//   Every step is one IEEE operation, so the scalar oracle and the AVX2, AVX-512 and NEON kernels return identical
//   bits; |QcExp(x) − e^x| <= 2 ulp on [-87, 0] (tests/kernels_vmath/qsoftmax_test.cc). The 16-lane sum is the order
//   the vector kernels add in, fixed so every ISA (and the scalar oracle) sums identically. A NaN score, or m = ±inf,
//   makes the whole row NaN, as the float softmax would.
//
// Usage
//   qc::QSoftmaxRowArgs a{s_int_row, dq_i, dk, scale, add_or_null, dv, n, p_row};
//   qc::GetQSoftmaxKernel().fn(a);                    // configs/qsoftmax_config.h
#pragma once

#include <cstddef>
#include <cstdint>

namespace qc {

struct QSoftmaxRowArgs {
  const int32_t* s = nullptr;  ///< [n] exact Q·Kᵀ sums of the row
  float dq = 0.0f;             ///< the query row's dequantization factor
  const float* dk = nullptr;   ///< [n] the keys' dequantization factors
  float scale = 1.0f;          ///< the attention scale (1/√dh)
  const float* add = nullptr;  ///< [n] mask term, or null
  const float* dv = nullptr;   ///< [n] the values' dequantization factors
  size_t n = 0;
  float* p = nullptr;  ///< [n] output p_j·dv_j (also the kernels' scratch); must not overlap the inputs
};

using QSoftmaxRowFn = void (*)(const QSoftmaxRowArgs& args);

/// The constants of QcExp, shared by every kernel.
struct QcExpConstants {
  static constexpr float kMinArg = -87.0f;  // below: 0 (e^-87 ≈ 1.6e-38, still normal, so n >= -126 above it)
  static constexpr float kLog2e = 1.44269504088896341f;
  static constexpr float kLn2Hi = 0.693359375f;     // 8 significant bits: n·kLn2Hi is exact
  static constexpr float kLn2Lo = -2.12194440e-4f;  // ln 2 − kLn2Hi
  static constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f,
                         kP3 = 4.1665795894e-2f, kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
};

#define QC_QSOFTMAX_KERNEL(isa, function, lanes) void function(const QSoftmaxRowArgs& args);
#include "kernels/i32-f32-softmax/kernels.inc"
#undef QC_QSOFTMAX_KERNEL

}  // namespace qc
