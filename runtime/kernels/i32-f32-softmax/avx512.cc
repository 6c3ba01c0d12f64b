// AVX-512 QAttention softmax row: kernels.h's contract on 16 lanes; the 16 lane sums are one zmm accumulator, tails
// go through masked loads (masked-off lanes: score -inf for the maximum, e = 0 for the sum) and masked stores.
#include "kernels/avx512_common.h"

#include <limits>

#include "kernels/i32-f32-softmax/kernels.h"

namespace qc {
namespace {

inline __m512 Exp16(__m512 x) {
  using K = QcExpConstants;
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(K::kMinArg), _CMP_LT_OQ);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(K::kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-K::kLn2Hi), x);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(-K::kLn2Lo), r);
  __m512 poly = _mm512_fmadd_ps(_mm512_set1_ps(K::kP0), r, _mm512_set1_ps(K::kP1));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(K::kP2));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(K::kP3));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(K::kP4));
  poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(K::kP5));
  const __m512 t = _mm512_fmadd_ps(poly, _mm512_mul_ps(r, r), r);
  // NaN lanes convert to 0x80000000: 2^n is then junk, but t is NaN and so is the product.
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  const __m512 y = _mm512_mul_ps(_mm512_add_ps(t, _mm512_set1_ps(1.0f)), _mm512_castsi512_ps(bits));
  return _mm512_mask_mov_ps(y, tiny, _mm512_setzero_ps());
}

}  // namespace

void QSoftmaxRowAvx512(const QSoftmaxRowArgs& a) {
  const __m512 dq = _mm512_set1_ps(a.dq), scale = _mm512_set1_ps(a.scale);
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 vmax = neg_inf;
  for (size_t j = 0; j < a.n; j += 16) {
    const __mmask16 m = TailMask16(a.n - j);
    const __m512 dqk = _mm512_mul_ps(dq, _mm512_maskz_loadu_ps(m, a.dk + j));
    const __m512 s = _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, a.s + j));
    __m512 sc = _mm512_mul_ps(_mm512_mul_ps(s, dqk), scale);
    if (a.add != nullptr) sc = _mm512_add_ps(sc, _mm512_maskz_loadu_ps(m, a.add + j));
    _mm512_mask_storeu_ps(a.p + j, m, sc);
    // max(v, vmax) keeps vmax for a NaN v; masked-off lanes stay -inf.
    vmax = _mm512_mask_max_ps(vmax, m, sc, vmax);
  }
  const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
  __m512 lanes = _mm512_setzero_ps();
  for (size_t j = 0; j < a.n; j += 16) {
    const __mmask16 m = TailMask16(a.n - j);
    const __m512 e = _mm512_maskz_mov_ps(m, Exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, a.p + j), mx)));
    _mm512_mask_storeu_ps(a.p + j, m, e);
    lanes = _mm512_add_ps(lanes, e);
  }
  // The fold: l += l + 8, l += l + 4, l += l + 2, l += l + 1.
  __m256 h8 = _mm256_add_ps(_mm512_castps512_ps256(lanes), _mm512_extractf32x8_ps(lanes, 1));
  __m128 h4 = _mm_add_ps(_mm256_castps256_ps128(h8), _mm256_extractf128_ps(h8, 1));
  __m128 h2 = _mm_add_ps(h4, _mm_movehl_ps(h4, h4));
  __m128 h1 = _mm_add_ss(h2, _mm_shuffle_ps(h2, h2, 1));
  const __m512 sum = _mm512_set1_ps(_mm_cvtss_f32(h1));
  for (size_t j = 0; j < a.n; j += 16) {
    const __mmask16 m = TailMask16(a.n - j);
    const __m512 pj = _mm512_mul_ps(_mm512_div_ps(_mm512_maskz_loadu_ps(m, a.p + j), sum),
                                    _mm512_maskz_loadu_ps(m, a.dv + j));
    _mm512_mask_storeu_ps(a.p + j, m, pj);
  }
}

}  // namespace qc
