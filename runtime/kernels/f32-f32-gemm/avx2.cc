// AVX2 + FMA fp32 GEMM: 4×3 register tile of 8-float vectors.
//
// Each step along K loads 4 row vectors of X and 3 of W and issues 12 FMAs into 12 accumulators: 12 + 3 + 1 of the
// 16 ymm registers, and 12 independent chains cover the FMA latency × throughput (4 cycles × 2 ports). At the end
// of the tile each accumulator is summed horizontally. The K tail (K % 8) uses vmaskmovps, which does not touch
// (or fault on) masked-out lanes, so a row ending right before an unmapped page is safe.
// Compiled with -mavx2 -mfma; called only after a CPUID check (configs/gemm_config.cc).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/f32-f32-gemm/kernels.h"
#include "kernels/f32-f32-gemm/tiling.h"

namespace qc {
namespace {

// Eight -1 then eight 0: loading 8 int32 at offset 8 - r gives a mask with the first r lanes set.
const int32_t kTailMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// [Σa, Σb, Σc, Σd]: the four horizontal sums in one xmm.
inline __m128 Reduce4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 ab = _mm256_hadd_ps(a, b);  // a01 a23 b01 b23 | a45 a67 b45 b67
  const __m256 cd = _mm256_hadd_ps(c, d);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);  // a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

template <int MR, int NR>
struct Avx2Tile {
  static_assert(NR <= 4, "one Reduce4 per tile row");

  static void Run(const F32GemmTile& t) {
    __m256 acc[MR][NR];
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
    }
    size_t kk = 0;
    for (; kk + 8 <= t.k; kk += 8) {
      __m256 wv[NR];
      for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_ps(t.w + j * t.w_stride + kk);
      for (int i = 0; i < MR; ++i) {
        const __m256 xv = _mm256_loadu_ps(t.x + i * t.x_stride + kk);
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
      }
    }
    if (kk < t.k) {
      const __m256i mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMaskTable + 8 - (t.k - kk)));
      __m256 wv[NR];
      for (int j = 0; j < NR; ++j) wv[j] = _mm256_maskload_ps(t.w + j * t.w_stride + kk, mask);
      for (int i = 0; i < MR; ++i) {
        const __m256 xv = _mm256_maskload_ps(t.x + i * t.x_stride + kk, mask);
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
      }
    }
    for (int i = 0; i < MR; ++i) {
      __m256 r[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
      for (int j = 0; j < NR; ++j) r[j] = acc[i][j];
      alignas(16) float sums[4];
      _mm_store_ps(sums, Reduce4(r[0], r[1], r[2], r[3]));
      float* y = t.y + i * t.y_stride;
      for (int j = 0; j < NR; ++j) {
        if (t.accumulate) {
          y[j] += sums[j];
        } else {
          y[j] = t.bias != nullptr ? sums[j] + t.bias[j] : sums[j];
        }
      }
    }
  }
};

}  // namespace

void F32Gemm4x3Avx2(const F32GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  // K blocks of 1024 floats keep the 4 reused X rows (16 KiB) in L1 next to the streaming W rows.
  RunF32GemmTiles<Avx2Tile, 4, 3, 1024>(a, m_begin, m_end, n_begin, n_end);
}

}  // namespace qc
