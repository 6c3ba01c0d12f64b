// kernels/t2-i8-gemm/kernels.h: ternary-weight × int8-activation GEMM, Y[m, n] = (Σ_k w[n,k]·q[m,k]) · α_n·d_m + b_n.
//
// Overview
//   W is ternary, stored as codes c = w + 1 in the packed T2 R4/K128 layout (quant/t2_pack.h); activations are int8
//   rows from quant/act_quant.h with their integer row sums Σq and dequantization factors d. Every kernel computes
//
//     Y_int[i, j] = Σ_k c[j,k]·q[i,k] − Σq[i]               int32, exact (= Σ_k w[j,k]·q[i,k])
//     y[i, j]     = fma(float(Y_int), α_j · d_i, b_j)        T2Output(): one product, one fused multiply-add
//
//   so all kernels, on every ISA, return the same int32 and the same float bits (docs/quantization.md §5). Columns
//   [k, T2PaddedK(k)) of q must be 0 (QuantizeActivations writes them): kernels read whole 128-column blocks.
//   A kernel computes any rectangle [m_begin, m_end) × [n_begin, n_end) of Y; a thread pool splits work across rows
//   or output channels. Ranges whose n bounds are multiples of 4 avoid recomputing a row group in two calls; any
//   split gives bit-identical results. Either output (y, y_int) may be omitted.
//
//   The list of kernels is kernels.inc (X-macro). T2GemmRef is the oracle: plain loops over the packed layout, one
//   int32 sum per output. Which kernel production uses is decided by configs/t2_gemm_config.h, never here.
//
// Usage
//   qc::T2GemmArgs a;
//   a.w = packed; a.alpha = alpha; a.alpha_per_row = true;
//   a.q = q; a.q_stride = qc::T2PaddedK(k); a.q_sum = row_sum; a.q_dequant = dequant;
//   a.bias = bias; a.y = y; a.y_stride = n; a.m = m; a.n = n; a.k = k;
//   qc::GetT2GemmKernel().fn(a, 0, m, 0, n);          // configs/t2_gemm_config.h
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace qc {

/// Operands of the ternary GEMM. Strides count elements between consecutive rows. Outputs must not overlap inputs.
struct T2GemmArgs {
  const uint8_t* w = nullptr;    ///< packed [n, k], T2PackedBytes(n, k) bytes (quant/t2_pack.h)
  const float* alpha = nullptr;  ///< [n] when alpha_per_row, else [1]; needed only for y
  bool alpha_per_row = false;
  const int8_t* q = nullptr;         ///< [m, q_stride] int8 activations; columns [k, T2PaddedK(k)) are 0
  size_t q_stride = 0;               ///< >= T2PaddedK(k)
  const int32_t* q_sum = nullptr;    ///< [m] Σ_k q[i, k]
  const float* q_dequant = nullptr;  ///< [m] d_i; needed only for y
  const float* bias = nullptr;       ///< [n], or null for none (then b = +0.0f)
  float* y = nullptr;                ///< [m, n] float output (row stride y_stride), or null
  size_t y_stride = 0;
  int32_t* y_int = nullptr;  ///< [m, n] exact Σ_k w·q (row stride y_int_stride), or null
  size_t y_int_stride = 0;
  size_t m = 0;
  size_t n = 0;
  size_t k = 0;  ///< <= kT2MaxK
};

/// Computes Y[i][j] for m_begin <= i < m_end, n_begin <= j < n_end (ranges within [0, m) and [0, n)).
using T2GemmFn = void (*)(const T2GemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);

/// The float epilogue every kernel reproduces bit for bit: float(acc) rounds to nearest even, α·d is one rounded
/// product, and the multiply-add is fused (a single rounding). `static inline`: ISA-flagged files include this
/// header, and their copies must not be merged with the baseline one.
static inline float T2Output(int32_t acc, float alpha, float dequant, float bias) {
  return std::fma(static_cast<float>(acc), alpha * dequant, bias);
}

#define QC_T2_GEMM_KERNEL(isa, function, tokens, rows) \
  void function(const T2GemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);
#include "kernels/t2-i8-gemm/kernels.inc"
#undef QC_T2_GEMM_KERNEL

}  // namespace qc
