// Scalar ternary × int8 GEMM kernels, built on every platform.
//
// T2GemmRef is the oracle the SIMD kernels are tested against: for each output, one int32 sum of code × activation
// over k = 0..K-1 read straight from the packed layout with T2PackedCode, minus Σq, then T2Output. It reads only
// the K real columns, so it does not depend on the zero padding of q (the other kernels do).
// T2Gemm4x4Scalar is the production fallback for CPUs without a SIMD kernel: each 128-column block of a row group is
// unpacked once into 4 × 128 codes and dotted with up to 4 activation rows. Integer sums are exact, so it matches
// the oracle bit for bit.
#include <cstddef>
#include <cstdint>

#include "kernels/t2-i8-gemm/kernels.h"
#include "kernels/t2-i8-gemm/tiling.h"
#include "quant/t2_pack.h"

namespace qc {
namespace {

template <int T>
struct ScalarTile {
  static void Run(const T2GemmTile& t) {
    int32_t sums[T][kT2RowGroup] = {};
    uint8_t codes[kT2RowGroup][kT2BlockK];
    for (size_t b = 0; b < t.k_blocks; ++b) {
      const uint8_t* block = t.w + b * kT2BlockBytes;
      for (size_t r = 0; r < kT2RowGroup; ++r) {
        for (size_t j = 0; j < kT2RowBytes; ++j) {
          const unsigned byte = block[r * kT2RowBytes + j];
          for (size_t s = 0; s < 4; ++s)
            codes[r][j + s * kT2SubBlock] = static_cast<uint8_t>((byte >> (6 - 2 * s)) & 3u);
        }
      }
      for (int tok = 0; tok < T; ++tok) {
        const int8_t* q = t.q + tok * t.q_stride + b * kT2BlockK;
        for (size_t r = 0; r < kT2RowGroup; ++r) {
          int32_t acc = 0;
          for (size_t kk = 0; kk < kT2BlockK; ++kk) acc += static_cast<int32_t>(codes[r][kk]) * q[kk];
          sums[tok][r] += acc;
        }
      }
    }
    for (int tok = 0; tok < T; ++tok) T2StoreScalar(t, tok, sums[tok]);
  }
};

}  // namespace

void T2GemmRef(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  for (size_t i = m_begin; i < m_end; ++i) {
    const int8_t* q = a.q + i * a.q_stride;
    for (size_t j = n_begin; j < n_end; ++j) {
      int32_t acc = 0;
      for (size_t kk = 0; kk < a.k; ++kk) acc += static_cast<int32_t>(T2PackedCode(a.w, a.k, j, kk)) * q[kk];
      const int32_t v = acc - a.q_sum[i];
      if (a.y_int != nullptr) a.y_int[i * a.y_int_stride + j] = v;
      if (a.y != nullptr) {
        const float alpha = a.alpha[a.alpha_per_row ? j : 0];
        const float bias = a.bias != nullptr ? a.bias[j] : 0.0f;
        a.y[i * a.y_stride + j] = T2Output(v, alpha, a.q_dequant[i], bias);
      }
    }
  }
}

void T2Gemm4x4Scalar(const T2GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunT2GemmTiles<ScalarTile, 4>(a, m_begin, m_end, n_begin, n_end);
}

}  // namespace qc
