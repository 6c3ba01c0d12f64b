// Scalar int8 × int8 GEMM kernels, built on every platform. I8GemmRef is the oracle: one int32 Σ w·q per output over
// the K real columns (so it does not rely on the zero padding of q). I8Gemm4x4Scalar is the fallback for CPUs without
// a SIMD kernel: tiles of 4 tokens × 4 rows over whole blocks, codes minus 128·Σq; exact, hence bit-identical.
#include "kernels/i8-i8-gemm/kernels.h"
#include "kernels/i8-i8-gemm/tiling.h"
#include "quant/i8_pack.h"

namespace qc {
namespace {

struct ScalarTile {
  static void Run(const uint8_t* group, size_t k_blocks, const int8_t* const* q, int32_t (*sums)[4]) {
    for (size_t b = 0; b < k_blocks; ++b) {
      const uint8_t* block = group + b * kI8BlockBytes;
      for (int t = 0; t < 4; ++t) {
        const int8_t* x = q[t] + b * kI8BlockK;
        for (size_t r = 0; r < 4; ++r) {
          int32_t acc = 0;
          for (size_t kk = 0; kk < kI8BlockK; ++kk) acc += static_cast<int32_t>(block[r * kI8BlockK + kk]) * x[kk];
          sums[t][r] += acc;
        }
      }
    }
  }
};

}  // namespace

void I8GemmRef(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  for (size_t i = m_begin; i < m_end; ++i) {
    const int8_t* q = a.q + i * a.q_stride;
    for (size_t j = n_begin; j < n_end; ++j) {
      int32_t acc = 0;
      for (size_t kk = 0; kk < a.k; ++kk) acc += I8PackedWeight(a.w, a.k, j, kk) * q[kk];
      if (a.y_int != nullptr) a.y_int[i * a.y_int_stride + j] = acc;
      if (a.y != nullptr) {
        const float alpha = a.alpha[a.alpha_per_row ? j : 0];
        const float bias = a.bias != nullptr ? a.bias[j] : 0.0f;
        a.y[i * a.y_stride + j] = IntGemmOutput(acc, alpha, a.q_dequant[i], bias);
      }
    }
  }
}

void I8Gemm4x4Scalar(const I8GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunIntGemmTiles<ScalarTile, 4>(a, m_begin, m_end, n_begin, n_end, kI8BlockK, kI8BlockBytes, kI8CodeOffset);
}

}  // namespace qc
