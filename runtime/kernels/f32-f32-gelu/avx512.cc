// AVX-512 exact-erf GELU: kernels.h's operation sequence on 16 lanes, the tail through a masked load and store.
#include "kernels/avx512_common.h"

#include "kernels/f32-f32-gelu/kernels.h"

namespace qc {
namespace {

inline __m512 Gelu16(__m512 x) {
  using K = GeluErfConstants;
  // max(t, -4) then min(·, 4): for NaN t the clamp gives a number, but h = 0.5·x stays NaN, so y is NaN.
  const __m512 c = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(x, _mm512_set1_ps(K::kInvSqrt2)),
                                               _mm512_set1_ps(-K::kClamp)),
                                 _mm512_set1_ps(K::kClamp));
  const __m512 u = _mm512_mul_ps(c, c);
  __m512 p = _mm512_fmadd_ps(u, _mm512_set1_ps(K::kA13), _mm512_set1_ps(K::kA11));
  p = _mm512_fmadd_ps(u, p, _mm512_set1_ps(K::kA9));
  p = _mm512_fmadd_ps(u, p, _mm512_set1_ps(K::kA7));
  p = _mm512_fmadd_ps(u, p, _mm512_set1_ps(K::kA5));
  p = _mm512_fmadd_ps(u, p, _mm512_set1_ps(K::kA3));
  p = _mm512_fmadd_ps(u, p, _mm512_set1_ps(K::kA1));
  p = _mm512_mul_ps(p, c);
  __m512 q = _mm512_fmadd_ps(u, _mm512_set1_ps(K::kB8), _mm512_set1_ps(K::kB6));
  q = _mm512_fmadd_ps(u, q, _mm512_set1_ps(K::kB4));
  q = _mm512_fmadd_ps(u, q, _mm512_set1_ps(K::kB2));
  q = _mm512_fmadd_ps(u, q, _mm512_set1_ps(K::kB0));
  const __m512 h = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
  return _mm512_fmadd_ps(h, _mm512_div_ps(p, q), h);
}

}  // namespace

void GeluErfAvx512(const float* x, size_t n, float* y) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {  // two independent chains hide the division's latency
    const __m512 a = Gelu16(_mm512_loadu_ps(x + i));
    const __m512 b = Gelu16(_mm512_loadu_ps(x + i + 16));
    _mm512_storeu_ps(y + i, a);
    _mm512_storeu_ps(y + i + 16, b);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = TailMask16(n - i);
    _mm512_mask_storeu_ps(y + i, m, Gelu16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

}  // namespace qc
