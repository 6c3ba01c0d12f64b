// Scalar fp32 GEMM kernels, built on every platform.
//
// F32GemmRef is the oracle the SIMD kernels are tested against: each output is one sequential float dot product
// over k = 0..K-1, then the bias is added. F32Gemm4x4Scalar is the production fallback for CPUs without a SIMD
// kernel: a 4×4 register tile (16 independent sums hide FP add latency) under the shared blocking driver, with K
// never split, so every output is accumulated in exactly the reference's order and the two are bit-identical.
//
// Both spell each step as MulAdd() rather than `acc += x * w`: GCC compiles C++ with -ffp-contract=fast, so where
// the target has FMA (AArch64) it fuses some `a * b + c` and not others depending on how a loop was vectorised,
// and results would depend on the tile shape. MulAdd is always fused where FMA exists and never where it does not.
#include <cmath>
#include <cstddef>

#include "kernels/f32-f32-gemm/kernels.h"
#include "kernels/f32-f32-gemm/tiling.h"

namespace qc {
namespace {

inline float MulAdd(float a, float b, float c) {
#ifdef __FP_FAST_FMAF
  return std::fma(a, b, c);
#else
  return c + a * b;  // no FMA instruction on this target, so nothing to contract into
#endif
}

template <int MR, int NR>
struct ScalarTile {
  static void Run(const F32GemmTile& t) {
    float acc[MR][NR] = {};
    const float* x[MR];
    const float* w[NR];
    for (int i = 0; i < MR; ++i) x[i] = t.x + i * t.x_stride;
    for (int j = 0; j < NR; ++j) w[j] = t.w + j * t.w_stride;
    for (size_t kk = 0; kk < t.k; ++kk) {
      float wv[NR];
      for (int j = 0; j < NR; ++j) wv[j] = w[j][kk];
      for (int i = 0; i < MR; ++i) {
        const float xv = x[i][kk];
        for (int j = 0; j < NR; ++j) acc[i][j] = MulAdd(xv, wv[j], acc[i][j]);
      }
    }
    for (int i = 0; i < MR; ++i) {
      float* y = t.y + i * t.y_stride;
      for (int j = 0; j < NR; ++j) {
        if (t.accumulate) {
          y[j] += acc[i][j];
        } else {
          y[j] = t.bias != nullptr ? acc[i][j] + t.bias[j] : acc[i][j];
        }
      }
    }
  }
};

}  // namespace

void F32GemmRef(const F32GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  for (size_t i = m_begin; i < m_end; ++i) {
    const float* x = a.x + i * a.x_stride;
    for (size_t j = n_begin; j < n_end; ++j) {
      const float* w = a.w + j * a.w_stride;
      float acc = 0.0f;
      for (size_t kk = 0; kk < a.k; ++kk) acc = MulAdd(x[kk], w[kk], acc);
      a.y[i * a.y_stride + j] = a.bias != nullptr ? acc + a.bias[j] : acc;
    }
  }
}

void F32Gemm4x4Scalar(const F32GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  RunF32GemmTiles<ScalarTile, 4, 4, kF32GemmNoKBlocking>(a, m_begin, m_end, n_begin, n_end);
}

}  // namespace qc
