// kernels/f32-i8-quant/kernels.h: the two row loops of int8 activation quantization (quant/act_quant.h).
//
// Overview
//   Every GEMM input and every attention head row passes through these twice (absolute maximum, then codes), so they
//   run on the widest vector unit the CPU has. The contract (docs/quantization.md §3) is elementwise, a maximum or an
//   integer sum, so every kernel returns exactly the oracle's results:
//
//     AbsMax(x, k)              max over the non-NaN x of |x| (0 when k = 0 or all are NaN); *has_nan = any NaN
//     QuantizeRow(x, k, c, s)   q[i] = clamp(RoundHalfEven(min(max(x[i], -c), c) · s), -127, 127); returns Σ q[i]
//
//   RoundHalfEven is cvtps2dq under the default MXCSR on x86 and fcvtns on AArch64 (quant/rounding.h). Rows holding
//   NaN are rejected by every caller before QuantizeRow, so its codes for NaN inputs are unspecified. The clip and
//   the padding of q past k are applied by quant/act_quant.cc around these loops.
//
// Usage
//   const qc::ActQuantKernel& k = qc::GetActQuantKernel();     // configs/act_quant_config.h
//   bool nan = false;
//   float amax = k.abs_max(x, n, &nan);
//   int32_t sum = k.quantize_row(x, n, clip, scale, q);
#pragma once

#include <cstddef>
#include <cstdint>

namespace qc {

/// max |x[i]| over the non-NaN entries of x[0, k); *has_nan is set to whether any entry is NaN.
using ActAbsMaxFn = float (*)(const float* x, size_t k, bool* has_nan);
/// Writes q[0, k) (see above) and returns Σ q. x holds no NaN.
using ActQuantizeRowFn = int32_t (*)(const float* x, size_t k, float clip, float scale, int8_t* q);

#define QC_ACT_QUANT_KERNEL(isa, abs_max, quantize_row, lanes)   \
  float abs_max(const float* x, size_t k, bool* has_nan); \
  int32_t quantize_row(const float* x, size_t k, float clip, float scale, int8_t* q);
#include "kernels/f32-i8-quant/kernels.inc"
#undef QC_ACT_QUANT_KERNEL

}  // namespace qc
