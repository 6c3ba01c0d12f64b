// AVX-512 activation quantization rows: 64 floats per step in four independent chains (the maximum's latency would
// otherwise bound the loop), the tail through masked loads and stores.
#include "kernels/avx512_common.h"

#include "kernels/f32-i8-quant/kernels.h"

namespace qc {
namespace {

// max(|v|, m) that keeps m when v is NaN (vmaxps returns its second operand when either is NaN).
inline __m512 MaxAbs(__m512 v, __m512 m) {
  return _mm512_max_ps(_mm512_abs_ps(v), m);
}

// 16 codes and their sum: clamp, one multiply, cvtps2dq (round half to even), integer clamp.
inline __m512i Codes(__m512 v, __m512 lo, __m512 hi, __m512 s) {
  const __m512i r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_min_ps(_mm512_max_ps(v, lo), hi), s));
  return _mm512_min_epi32(_mm512_max_epi32(r, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
}

}  // namespace

float ActAbsMaxAvx512(const float* x, size_t k, bool* has_nan) {
  __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  __mmask16 nan = 0;
  size_t i = 0;
  for (; i + 64 <= k; i += 64) {
    const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    const __m512 c = _mm512_loadu_ps(x + i + 32), d = _mm512_loadu_ps(x + i + 48);
    m0 = MaxAbs(a, m0);
    m1 = MaxAbs(b, m1);
    m2 = MaxAbs(c, m2);
    m3 = MaxAbs(d, m3);
    nan |= _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(c, d, _CMP_UNORD_Q);
  }
  for (; i < k; i += 16) {
    const __mmask16 m = TailMask16(k - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);  // masked-off lanes are 0: neither NaN nor a new maximum
    m0 = MaxAbs(v, m0);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  }
  *has_nan = nan != 0;
  return _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3)));
}

int32_t ActQuantizeRowAvx512(const float* x, size_t k, float clip, float scale, int8_t* q) {
  const __m512 lo = _mm512_set1_ps(-clip), hi = _mm512_set1_ps(clip), s = _mm512_set1_ps(scale);
  __m512i sum0 = _mm512_setzero_si512(), sum1 = sum0;
  size_t i = 0;
  for (; i + 32 <= k; i += 32) {
    const __m512i a = Codes(_mm512_loadu_ps(x + i), lo, hi, s);
    const __m512i b = Codes(_mm512_loadu_ps(x + i + 16), lo, hi, s);
    sum0 = _mm512_add_epi32(sum0, a);
    sum1 = _mm512_add_epi32(sum1, b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtepi32_epi8(a));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i + 16), _mm512_cvtepi32_epi8(b));
  }
  for (; i < k; i += 16) {
    const __mmask16 m = TailMask16(k - i);
    const __m512i c = _mm512_maskz_mov_epi32(m, Codes(_mm512_maskz_loadu_ps(m, x + i), lo, hi, s));
    sum0 = _mm512_add_epi32(sum0, c);
    _mm512_mask_cvtepi32_storeu_epi8(q + i, m, c);
  }
  return _mm512_reduce_add_epi32(_mm512_add_epi32(sum0, sum1));
}

}  // namespace qc
