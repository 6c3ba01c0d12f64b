// kernels/f32-f32-gemm/kernels.h: fp32 GEMM kernels, Y[M,N] = X[M,K] · W[N,K]ᵀ + bias[N].
//
// Overview
//   W is row-major N×K, the layout PyTorch stores a Linear weight in, and is read in place: the runtime mmaps
//   weights and never repacks or copies them. Each output is a dot product of a row of X with a row of W, so the
//   kernels register-block over MR rows of X and NR rows of W (vector FMAs along K, horizontal sums at the end).
//   Every kernel computes any sub-rectangle [m_begin, m_end) × [n_begin, n_end) of Y, so a thread pool can split
//   work by rows or columns; each output element is computed the same way whatever the split, so results do not
//   depend on the number of threads. Any M, N, K (including 0 and tails) is handled without reading or writing
//   outside the operands. Rows may be strided (attention reads one head out of a [S, H] buffer).
//
//   The list of kernels is kernels.inc (X-macro). F32GemmRef is the oracle: one plain sequential dot product per
//   output. Which kernel production code uses is decided by configs/gemm_config.h, never here.
//
// Usage
//   qc::F32GemmArgs a;
//   a.x = x; a.x_stride = k;  a.w = w; a.w_stride = k;  a.bias = b;  a.y = y; a.y_stride = n;
//   a.m = m; a.n = n; a.k = k;
//   qc::F32Gemm4x3Avx2(a, 0, m, 0, n);          // only after IsaAvailable(KernelIsa::kAvx2, cpu)
#pragma once

#include <cstddef>

namespace qc {

/// Operands of Y = X·Wᵀ + bias. Strides count floats between the starts of consecutive rows (>= k for X and W,
/// >= n for Y). Y must not overlap X, W or bias.
struct F32GemmArgs {
  const float* x = nullptr;  ///< [m, k], row stride x_stride
  size_t x_stride = 0;
  const float* w = nullptr;  ///< [n, k], row stride w_stride (PyTorch Linear weight)
  size_t w_stride = 0;
  const float* bias = nullptr;  ///< [n], or null for no bias
  float* y = nullptr;           ///< [m, n], row stride y_stride
  size_t y_stride = 0;
  size_t m = 0;
  size_t n = 0;
  size_t k = 0;
};

/// Computes Y[i][j] for m_begin <= i < m_end, n_begin <= j < n_end (ranges within [0, m) and [0, n)).
using F32GemmFn = void (*)(const F32GemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);

#define QC_F32_GEMM_KERNEL(isa, function, mr, nr) \
  void function(const F32GemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);
#include "kernels/f32-f32-gemm/kernels.inc"
#undef QC_F32_GEMM_KERNEL

}  // namespace qc
