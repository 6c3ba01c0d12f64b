// kernels/i8-i8-attention/kernels.h: the integer products of quantized attention, C[i, j] = Σ_k A[i,k]·B[j,k].
//
// Overview
//   QAttention (ops/qattention.h, docs/quantization.md "QAttention") needs two exact int8 products per (batch, head):
//
//     S_int = Q_int · K_intᵀ      A = Q codes [S, dh],  B = K codes [S, dh],  k = dh
//     O_int = P_int · V_int       A = P codes [S, S],   B = V codesᵀ [dh, S], k = S  (the op transposes V)
//
//   Both are one "NT" form: rows of A dotted with rows of B, signed int8 × signed int8 summed in int32, exactly.
//   Codes must lie in [-127, 127] (quant/act_quant.h never produces -128). Rows are ZERO-PADDED to
//   I8AttnPaddedK(k), a multiple of kI8AttnBlockK = 32 columns, so any k works (dh = 80 runs as 96 columns of which
//   16 are zero; zeros add nothing); the SIMD kernels read whole padded rows, the oracle only the k real columns.
//   k <= kI8AttnMaxK keeps every intermediate of every ISA inside int32 (see below).
//
//   How each ISA multiplies signed × signed int8 (all exact, so all kernels return identical int32):
//     scalar   int32 multiply-add.
//     AVX2     sign-extend 16 codes to int16 (vpmovsxbw) and vpmaddwd: pairs of int16 products summed in int32.
//     AVX-512  vpdpbusd multiplies UNSIGNED × signed bytes, so B is stored offset, b + 128 (= b xor 0x80, 1..255),
//              and the kernel subtracts the surplus 128·Σ_k a[i,k] per row: Σ (b+128)·a = Σ a·b + 128·Σa.
//              |Σ (b+128)·a| <= 255·127·k < 2^31 for k <= 65536.
//     NEON     sdot (signed × signed bytes, 4 products into each int32 lane).
//   A kernel computes any rectangle [m_begin, m_end) × [n_begin, n_end) of C, so rows or columns can be split
//   across threads; the list of kernels is kernels.inc, the choice configs/attention_config.h.
//
// Usage
//   qc::I8AttnGemmArgs g;
//   g.a = q_codes; g.a_stride = qc::I8AttnPaddedK(dh);   // rows zero past dh
//   g.b = k_codes; g.b_stride = qc::I8AttnPaddedK(dh);
//   g.c = s_int; g.c_stride = seq; g.m = seq; g.n = seq; g.k = dh;
//   qc::GetI8AttnGemmKernel().fn(g, 0, g.m, 0, g.n);     // configs/attention_config.h
#pragma once

#include <cstddef>
#include <cstdint>

namespace qc {

/// Columns per block: A and B rows are zero-padded to a multiple of this.
inline constexpr size_t kI8AttnBlockK = 32;
/// Largest k: 255·127·65536 < 2^31 (the AVX-512 offset sum), so no intermediate overflows int32.
inline constexpr size_t kI8AttnMaxK = 65536;

/// k rounded up to kI8AttnBlockK: the row length (and minimum stride) of A and B.
constexpr size_t I8AttnPaddedK(size_t k) {
  return (k + kI8AttnBlockK - 1) / kI8AttnBlockK * kI8AttnBlockK;
}

/// Operands: row-major int8, strides in elements. c must not overlap a or b.
struct I8AttnGemmArgs {
  const int8_t* a = nullptr;  ///< [m, a_stride]; columns [k, I8AttnPaddedK(k)) are 0
  size_t a_stride = 0;        ///< >= I8AttnPaddedK(k)
  const int8_t* b = nullptr;  ///< [n, b_stride]; columns [k, I8AttnPaddedK(k)) are 0
  size_t b_stride = 0;        ///< >= I8AttnPaddedK(k)
  int32_t* c = nullptr;       ///< [m, c_stride] output
  size_t c_stride = 0;
  size_t m = 0;
  size_t n = 0;
  size_t k = 0;  ///< 1 .. kI8AttnMaxK
};

/// Writes C[i][j] for m_begin <= i < m_end, n_begin <= j < n_end, nothing else.
using I8AttnGemmFn = void (*)(const I8AttnGemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);

#define QC_I8_ATTN_KERNEL(isa, function, rows, cols) \
  void function(const I8AttnGemmArgs& args, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end);
#include "kernels/i8-i8-attention/kernels.inc"
#undef QC_I8_ATTN_KERNEL

}  // namespace qc
