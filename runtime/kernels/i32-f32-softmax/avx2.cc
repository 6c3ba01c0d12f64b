// AVX2 QAttention softmax row: kernels.h's contract on 8 lanes; the 16 lane sums are two ymm accumulators (lanes
// 0-7 and 8-15), and the last partial group of 16 goes through a zero-padded copy.
#include <immintrin.h>

#include <cstring>
#include <limits>

#include "kernels/i32-f32-softmax/kernels.h"
#include "kernels/i32-f32-softmax/scalar.h"

namespace qc {
namespace {

inline __m256 Exp8(__m256 x) {
  using K = QcExpConstants;
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(K::kMinArg), _CMP_LT_OQ);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(K::kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-K::kLn2Hi), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(-K::kLn2Lo), r);
  __m256 poly = _mm256_fmadd_ps(_mm256_set1_ps(K::kP0), r, _mm256_set1_ps(K::kP1));
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(K::kP2));
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(K::kP3));
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(K::kP4));
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(K::kP5));
  const __m256 t = _mm256_fmadd_ps(poly, _mm256_mul_ps(r, r), r);
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(_mm256_add_ps(t, _mm256_set1_ps(1.0f)), _mm256_castsi256_ps(bits));
  return _mm256_andnot_ps(tiny, y);
}

}  // namespace

void QSoftmaxRowAvx2(const QSoftmaxRowArgs& a) {
  const size_t n = a.n, full = n / 8 * 8;
  const __m256 dq = _mm256_set1_ps(a.dq), scale = _mm256_set1_ps(a.scale);
  __m256 vmax = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  for (size_t j = 0; j < full; j += 8) {
    const __m256 dqk = _mm256_mul_ps(dq, _mm256_loadu_ps(a.dk + j));
    const __m256 s = _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.s + j)));
    __m256 sc = _mm256_mul_ps(_mm256_mul_ps(s, dqk), scale);
    if (a.add != nullptr) sc = _mm256_add_ps(sc, _mm256_loadu_ps(a.add + j));
    _mm256_storeu_ps(a.p + j, sc);
    vmax = _mm256_max_ps(sc, vmax);  // keeps vmax for a NaN sc
  }
  alignas(32) float lane_max[8];
  _mm256_store_ps(lane_max, vmax);
  float m = -std::numeric_limits<float>::infinity();
  for (float v : lane_max) m = v > m ? v : m;
  for (size_t j = full; j < n; ++j) {
    a.p[j] = QSoftmaxScore(a, j);
    m = a.p[j] > m ? a.p[j] : m;
  }
  // e_j and the 16 lane sums: lo holds lanes 0-7, hi lanes 8-15.
  const __m256 mx = _mm256_set1_ps(m);
  __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
  const size_t full16 = n / 16 * 16;
  for (size_t j = 0; j < full16; j += 16) {
    const __m256 e0 = Exp8(_mm256_sub_ps(_mm256_loadu_ps(a.p + j), mx));
    const __m256 e1 = Exp8(_mm256_sub_ps(_mm256_loadu_ps(a.p + j + 8), mx));
    _mm256_storeu_ps(a.p + j, e0);
    _mm256_storeu_ps(a.p + j + 8, e1);
    lo = _mm256_add_ps(lo, e0);
    hi = _mm256_add_ps(hi, e1);
  }
  if (full16 < n) {
    alignas(32) float rest[16];
    for (size_t j = 0; j < 16; ++j) rest[j] = full16 + j < n ? QcExp(a.p[full16 + j] - m) : 0.0f;
    std::memcpy(a.p + full16, rest, (n - full16) * sizeof(float));
    lo = _mm256_add_ps(lo, _mm256_load_ps(rest));
    hi = _mm256_add_ps(hi, _mm256_load_ps(rest + 8));
  }
  const __m256 h8 = _mm256_add_ps(lo, hi);
  const __m128 h4 = _mm_add_ps(_mm256_castps256_ps128(h8), _mm256_extractf128_ps(h8, 1));
  const __m128 h2 = _mm_add_ps(h4, _mm_movehl_ps(h4, h4));
  const __m128 h1 = _mm_add_ss(h2, _mm_shuffle_ps(h2, h2, 1));
  const float sum = _mm_cvtss_f32(h1);
  const __m256 vsum = _mm256_set1_ps(sum);
  for (size_t j = 0; j < full; j += 8) {
    _mm256_storeu_ps(a.p + j, _mm256_mul_ps(_mm256_div_ps(_mm256_loadu_ps(a.p + j), vsum), _mm256_loadu_ps(a.dv + j)));
  }
  for (size_t j = full; j < n; ++j) a.p[j] = (a.p[j] / sum) * a.dv[j];
}

}  // namespace qc
