// kernels/i8-i8-gemm/kernels.h: int8-weight × int8-activation GEMM, Y[m, n] = (Σ_k w[n,k]·q[m,k]) · α_n·d_m + b_n.
//
// Overview
//   W is int8 in [-127, 127], packed as codes c = w + 128 in the I8 R4/K128 layout (quant/i8_pack.h); activations
//   are int8 rows from quant/act_quant.h with their row sums Σq and dequantization factors d. Every kernel computes
//
//     Y_int[i, j] = Σ_k w[j,k]·q[i,k]                       int32, exact (|Y_int| <= 127·128·k, k <= kI8MaxK)
//     y[i, j]     = fma(float(Y_int), α_j · d_i, b_j)        IntGemmOutput(): as T2Output
//
//   so all kernels, on every ISA, return the same int32 and the same float bits. How a kernel gets Y_int is its own
//   business: the VNNI kernel multiplies the unsigned codes by the signed activations (vpdpbusd) and subtracts
//   128·Σq; AVX2 widens both to int16 (vpmaddwd; vpmaddubsw would saturate at 255·127·2); NEON flips the codes back
//   to signed (c xor 0x80 = w) and uses sdot. Columns [k, T2PaddedK(k)) of q must be 0 (QuantizeActivations writes
//   them): kernels read whole 128-column blocks. A kernel computes any rectangle [m0, m1) × [n0, n1) of Y with the
//   T2 kernel signature, so the executor splits N across threads the same way; any split gives the same bits.
//
//   The list of kernels is kernels.inc. I8GemmRef is the oracle (one int32 sum per output from I8PackedWeight).
//   configs/int_gemm_config.h picks the production kernel.
//
// Usage
//   qc::I8GemmArgs a;                    // same fields as T2GemmArgs
//   a.w = packed; a.alpha = d_w; a.alpha_per_row = true; a.q = q; a.q_stride = qc::T2PaddedK(k);
//   a.q_sum = row_sum; a.q_dequant = dequant; a.bias = bias; a.y = y; a.y_stride = n; a.m = m; a.n = n; a.k = k;
//   qc::GetI8GemmKernel().fn(a, 0, m, 0, n);
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace qc {

/// Operands of the int8 / int4 weight GEMMs (kernels/i4-i8-gemm uses the same struct). Strides count elements.
struct I8GemmArgs {
  const uint8_t* w = nullptr;    ///< packed [n, k] (I8PackedBytes or I4PackedBytes)
  const float* alpha = nullptr;  ///< [n] when alpha_per_row, else [1]; needed only for y
  bool alpha_per_row = false;
  const int8_t* q = nullptr;         ///< [m, q_stride] int8 activations; columns [k, padded k) are 0
  size_t q_stride = 0;               ///< >= k rounded up to 128
  const int32_t* q_sum = nullptr;    ///< [m] Σ_k q[i, k]
  const float* q_dequant = nullptr;  ///< [m] d_i; needed only for y
  const float* bias = nullptr;       ///< [n], or null (b = +0.0f)
  float* y = nullptr;                ///< [m, n] float output, or null
  size_t y_stride = 0;
  int32_t* y_int = nullptr;  ///< [m, n] exact Σ_k w·q, or null
  size_t y_int_stride = 0;
  size_t m = 0;
  size_t n = 0;
  size_t k = 0;
};

using I8GemmFn = void (*)(const I8GemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);

/// The float epilogue (same as T2Output): one rounded product α·d, one fused multiply-add.
static inline float IntGemmOutput(int32_t acc, float alpha, float dequant, float bias) {
  return std::fma(static_cast<float>(acc), alpha * dequant, bias);
}

#define QC_I8_GEMM_KERNEL(isa, function, tokens, rows) \
  void function(const I8GemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);
#include "kernels/i8-i8-gemm/kernels.inc"
#undef QC_I8_GEMM_KERNEL

}  // namespace qc
