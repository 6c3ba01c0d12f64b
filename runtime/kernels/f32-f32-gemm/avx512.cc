// AVX-512F fp32 GEMM: 4×6 register tile of 16-float vectors.
//
// Each step along K loads 4 row vectors of X and 6 of W and issues 24 FMAs into 24 accumulators (24 + 6 + 1 of the
// 32 zmm registers). The K tail (K % 16) uses zero-masking loads, which suppress faults on masked-out lanes, so a
// row ending right before an unmapped page is safe. Horizontal sums fold 512 -> 256 bits and then reduce four
// accumulators at a time with vhaddps.
// Compiled with the AVX-512 flags; called only after a CPUID check (configs/gemm_config.cc).
#include <immintrin.h>

#include <cstddef>

#include "kernels/f32-f32-gemm/kernels.h"
#include "kernels/f32-f32-gemm/tiling.h"

namespace qc {
namespace {

// Low half by vextractf32x8 too: GCC 12's _mm512_castps512_ps256 trips a false -Wuninitialized in its headers.
inline __m256 FoldHalves(__m512 v) {
  return _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
}

// [Σa, Σb, Σc, Σd]: the four horizontal sums in one xmm.
inline __m128 Reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m256 ab = _mm256_hadd_ps(FoldHalves(a), FoldHalves(b));
  const __m256 cd = _mm256_hadd_ps(FoldHalves(c), FoldHalves(d));
  const __m256 abcd = _mm256_hadd_ps(ab, cd);
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

template <int MR, int NR>
struct Avx512Tile {
  static_assert(NR <= 8, "two Reduce4 per tile row");

  static void Run(const F32GemmTile& t) {
    __m512 acc[MR][NR];
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
    }
    size_t kk = 0;
    for (; kk + 16 <= t.k; kk += 16) {
      __m512 wv[NR];
      for (int j = 0; j < NR; ++j) wv[j] = _mm512_loadu_ps(t.w + j * t.w_stride + kk);
      for (int i = 0; i < MR; ++i) {
        const __m512 xv = _mm512_loadu_ps(t.x + i * t.x_stride + kk);
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
      }
    }
    if (kk < t.k) {
      const __mmask16 mask = static_cast<__mmask16>((1u << (t.k - kk)) - 1u);
      __m512 wv[NR];
      for (int j = 0; j < NR; ++j) wv[j] = _mm512_maskz_loadu_ps(mask, t.w + j * t.w_stride + kk);
      for (int i = 0; i < MR; ++i) {
        const __m512 xv = _mm512_maskz_loadu_ps(mask, t.x + i * t.x_stride + kk);
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
      }
    }
    for (int i = 0; i < MR; ++i) {
      __m512 r[8];
      for (int j = 0; j < 8; ++j) r[j] = _mm512_setzero_ps();
      for (int j = 0; j < NR; ++j) r[j] = acc[i][j];
      alignas(32) float sums[8];
      _mm_store_ps(sums, Reduce4(r[0], r[1], r[2], r[3]));
      if (NR > 4) _mm_store_ps(sums + 4, Reduce4(r[4], r[5], r[6], r[7]));
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

void F32Gemm4x6Avx512(const F32GemmArgs& a, size_t m_begin, size_t m_end, size_t n_begin, size_t n_end) {
  // K blocks of 1024 floats keep the 4 reused X rows (16 KiB) in L1 next to the streaming W rows.
  RunF32GemmTiles<Avx512Tile, 4, 6, 1024>(a, m_begin, m_end, n_begin, n_end);
}

}  // namespace qc
