// AVX2 activation quantization rows: 32 floats per step in four independent chains, the tail element by element.
#include <immintrin.h>

#include "kernels/f32-i8-quant/kernels.h"
#include "kernels/f32-i8-quant/scalar.h"

namespace qc {
namespace {

// max(|v|, m) that keeps m when v is NaN (vmaxps returns its second operand when either is NaN).
inline __m256 MaxAbs(__m256 v, __m256 m) {
  return _mm256_max_ps(_mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))), m);
}

inline __m256i Codes(__m256 v, __m256 lo, __m256 hi, __m256 s) {
  const __m256i r = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_min_ps(_mm256_max_ps(v, lo), hi), s));
  return _mm256_min_epi32(_mm256_max_epi32(r, _mm256_set1_epi32(-127)), _mm256_set1_epi32(127));
}

}  // namespace

float ActAbsMaxAvx2(const float* x, size_t k, bool* has_nan) {
  __m256 m0 = _mm256_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  __m256 nan = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= k; i += 32) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    const __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
    m0 = MaxAbs(a, m0);
    m1 = MaxAbs(b, m1);
    m2 = MaxAbs(c, m2);
    m3 = MaxAbs(d, m3);
    nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q), _mm256_cmp_ps(c, d, _CMP_UNORD_Q)));
  }
  for (; i + 8 <= k; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    m0 = MaxAbs(v, m0);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
  bool any_nan = _mm256_movemask_ps(nan) != 0;
  float amax = 0.0f;
  for (float l : lanes) amax = l > amax ? l : amax;
  for (; i < k; ++i) amax = ActAbsMaxStep(amax, x[i], &any_nan);
  *has_nan = any_nan;
  return amax;
}

int32_t ActQuantizeRowAvx2(const float* x, size_t k, float clip, float scale, int8_t* q) {
  const __m256 lo = _mm256_set1_ps(-clip), hi = _mm256_set1_ps(clip), s = _mm256_set1_ps(scale);
  __m256i sum = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const __m256i a = Codes(_mm256_loadu_ps(x + i), lo, hi, s);
    const __m256i b = Codes(_mm256_loadu_ps(x + i + 8), lo, hi, s);
    sum = _mm256_add_epi32(sum, _mm256_add_epi32(a, b));
    // packs works inside 128-bit lanes: [a0-3 b0-3 | a4-7 b4-7] → reorder the 64-bit quarters to a0-7 b0-7.
    const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
    const __m128i bytes = _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), bytes);
  }
  alignas(32) int32_t lanes[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  int32_t total = 0;
  for (int32_t l : lanes) total += l;
  for (; i < k; ++i) {
    const int32_t v = ActQuantizeOne(x[i], clip, scale);
    q[i] = static_cast<int8_t>(v);
    total += v;
  }
  return total;
}

}  // namespace qc
