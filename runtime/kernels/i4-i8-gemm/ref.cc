// Scalar int4 × int8 GEMM kernels, built on every platform. I4GemmRef is the oracle: one int32 Σ w·q per output
// from I4PackedCode over the K real columns. I4Gemm4x4Scalar is the fallback: each block row is unpacked once into 128
// codes and dotted with 4 activation rows, then the driver subtracts 8·Σq; exact, hence bit-identical.
#include "kernels/i4-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/tiling.h"
#include "quant/i4_pack.h"

namespace qc {
namespace {

struct ScalarTile {
  static void Run(const uint8_t* group, size_t k_blocks, const int8_t* const* q, int32_t (*sums)[4]) {
    uint8_t codes[4][kI4BlockK];
    for (size_t b = 0; b < k_blocks; ++b) {
      const uint8_t* block = group + b * kI4BlockBytes;
      for (size_t r = 0; r < 4; ++r) {
        for (size_t j = 0; j < kI4RowBytes; ++j) {
          const unsigned byte = block[r * kI4RowBytes + j];
          codes[r][j] = static_cast<uint8_t>(byte & 0xFu);
          codes[r][j + kI4RowBytes] = static_cast<uint8_t>(byte >> 4);
        }
      }
      for (int t = 0; t < 4; ++t) {
        const int8_t* x = q[t] + b * kI4BlockK;
        for (size_t r = 0; r < 4; ++r) {
          int32_t acc = 0;
          for (size_t kk = 0; kk < kI4BlockK; ++kk) acc += static_cast<int32_t>(codes[r][kk]) * x[kk];
          sums[t][r] += acc;
        }
      }
    }
  }
};

}  // namespace

void I4GemmRef(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  for (size_t i = m_begin; i < m_end; ++i) {
    const int8_t* q = a.q + i * a.q_stride;
    for (size_t j = n_begin; j < n_end; ++j) {
      int32_t acc = 0;
      for (size_t kk = 0; kk < a.k; ++kk)
        acc += (static_cast<int32_t>(I4PackedCode(a.w, a.k, j, kk)) - kI4CodeOffset) * q[kk];
      if (a.y_int != nullptr) a.y_int[i * a.y_int_stride + j] = acc;
      if (a.y != nullptr) {
        const float alpha = a.alpha[a.alpha_per_row ? j : 0];
        const float bias = a.bias != nullptr ? a.bias[j] : 0.0f;
        a.y[i * a.y_stride + j] = IntGemmOutput(acc, alpha, a.q_dequant[i], bias);
      }
    }
  }
}

void I4Gemm4x4Scalar(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunIntGemmTiles<ScalarTile, 4>(a, m_begin, m_end, n_begin, n_end, kI4BlockK, kI4BlockBytes, kI4CodeOffset);
}

}  // namespace qc
