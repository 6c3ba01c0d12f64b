// AVX2 + FMA exact-erf GELU: kernels.h's operation sequence on 8 lanes, the tail element by element (scalar.h).
#include <immintrin.h>

#include "kernels/f32-f32-gelu/kernels.h"
#include "kernels/f32-f32-gelu/scalar.h"

namespace qc {
namespace {

inline __m256 Gelu8(__m256 x) {
  using K = GeluErfConstants;
  const __m256 c = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(x, _mm256_set1_ps(K::kInvSqrt2)),
                                               _mm256_set1_ps(-K::kClamp)),
                                 _mm256_set1_ps(K::kClamp));
  const __m256 u = _mm256_mul_ps(c, c);
  __m256 p = _mm256_fmadd_ps(u, _mm256_set1_ps(K::kA13), _mm256_set1_ps(K::kA11));
  p = _mm256_fmadd_ps(u, p, _mm256_set1_ps(K::kA9));
  p = _mm256_fmadd_ps(u, p, _mm256_set1_ps(K::kA7));
  p = _mm256_fmadd_ps(u, p, _mm256_set1_ps(K::kA5));
  p = _mm256_fmadd_ps(u, p, _mm256_set1_ps(K::kA3));
  p = _mm256_fmadd_ps(u, p, _mm256_set1_ps(K::kA1));
  p = _mm256_mul_ps(p, c);
  __m256 q = _mm256_fmadd_ps(u, _mm256_set1_ps(K::kB8), _mm256_set1_ps(K::kB6));
  q = _mm256_fmadd_ps(u, q, _mm256_set1_ps(K::kB4));
  q = _mm256_fmadd_ps(u, q, _mm256_set1_ps(K::kB2));
  q = _mm256_fmadd_ps(u, q, _mm256_set1_ps(K::kB0));
  const __m256 h = _mm256_mul_ps(x, _mm256_set1_ps(0.5f));
  return _mm256_fmadd_ps(h, _mm256_div_ps(p, q), h);
}

}  // namespace

void GeluErfAvx2(const float* x, size_t n, float* y) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = Gelu8(_mm256_loadu_ps(x + i));
    const __m256 b = Gelu8(_mm256_loadu_ps(x + i + 8));
    _mm256_storeu_ps(y + i, a);
    _mm256_storeu_ps(y + i + 8, b);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Gelu8(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = GeluErfOne(x[i]);
}

}  // namespace qc
