// AArch64 NEON fp32 GEMM: 4×4 register tile of 4-float vectors.
//
// Each step along K loads 4 row vectors of X and 4 of W and issues 16 FMLAs into 16 accumulators (24 of the 32 q
// registers in use), enough independent chains to cover FMLA latency on wide cores. NEON has no masked load, so the
// K tail (K % 4) is finished with scalar multiply-adds after the horizontal sums; nothing past a row is read.
// Compiled with -march=armv8.2-a+dotprod; called only after a feature check (configs/gemm_config.cc).
#include <arm_neon.h>

#include <cmath>
#include <cstddef>

#include "kernels/f32-f32-gemm/kernels.h"
#include "kernels/f32-f32-gemm/tiling.h"

namespace qc {
namespace {

template <int MR, int NR>
struct NeonTile {
  static void Run(const F32GemmTile& t) {
    float32x4_t acc[MR][NR];
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NR; ++j) acc[i][j] = vdupq_n_f32(0.0f);
    }
    size_t kk = 0;
    for (; kk + 4 <= t.k; kk += 4) {
      float32x4_t wv[NR];
      for (int j = 0; j < NR; ++j) wv[j] = vld1q_f32(t.w + j * t.w_stride + kk);
      for (int i = 0; i < MR; ++i) {
        const float32x4_t xv = vld1q_f32(t.x + i * t.x_stride + kk);
        for (int j = 0; j < NR; ++j) acc[i][j] = vfmaq_f32(acc[i][j], xv, wv[j]);
      }
    }
    for (int i = 0; i < MR; ++i) {
      const float* x = t.x + i * t.x_stride;
      float* y = t.y + i * t.y_stride;
      for (int j = 0; j < NR; ++j) {
        const float* w = t.w + j * t.w_stride;
        float sum = vaddvq_f32(acc[i][j]);
        for (size_t r = kk; r < t.k; ++r) sum = std::fma(x[r], w[r], sum);  // one fmadd, like the vector part
        if (t.accumulate) {
          y[j] += sum;
        } else {
          y[j] = t.bias != nullptr ? sum + t.bias[j] : sum;
        }
      }
    }
  }
};

}  // namespace

void F32Gemm4x4Neon(const F32GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  // K blocks of 1024 floats keep the 4 reused X rows (16 KiB) in L1 next to the streaming W rows.
  RunF32GemmTiles<NeonTile, 4, 4, 1024>(a, m_begin, m_end, n_begin, n_end);
}

}  // namespace qc
