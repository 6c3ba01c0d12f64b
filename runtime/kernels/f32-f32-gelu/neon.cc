// NEON exact-erf GELU: kernels.h's operation sequence on 4 lanes (vfmaq_f32 is fused, vdivq_f32 correctly
// rounded), the tail element by element (scalar.h).
#include <arm_neon.h>

#include "kernels/f32-f32-gelu/kernels.h"
#include "kernels/f32-f32-gelu/scalar.h"

namespace qc {
namespace {

// vfmaq_f32(a, b, c) = a + b·c.
inline float32x4_t Gelu4(float32x4_t x) {
  using K = GeluErfConstants;
  // vmaxq/vminq return NaN for a NaN lane; y is NaN there either way (h = 0.5·x is NaN).
  const float32x4_t c = vminq_f32(vmaxq_f32(vmulq_n_f32(x, K::kInvSqrt2), vdupq_n_f32(-K::kClamp)),
                                  vdupq_n_f32(K::kClamp));
  const float32x4_t u = vmulq_f32(c, c);
  float32x4_t p = vfmaq_f32(vdupq_n_f32(K::kA11), u, vdupq_n_f32(K::kA13));
  p = vfmaq_f32(vdupq_n_f32(K::kA9), u, p);
  p = vfmaq_f32(vdupq_n_f32(K::kA7), u, p);
  p = vfmaq_f32(vdupq_n_f32(K::kA5), u, p);
  p = vfmaq_f32(vdupq_n_f32(K::kA3), u, p);
  p = vfmaq_f32(vdupq_n_f32(K::kA1), u, p);
  p = vmulq_f32(p, c);
  float32x4_t q = vfmaq_f32(vdupq_n_f32(K::kB6), u, vdupq_n_f32(K::kB8));
  q = vfmaq_f32(vdupq_n_f32(K::kB4), u, q);
  q = vfmaq_f32(vdupq_n_f32(K::kB2), u, q);
  q = vfmaq_f32(vdupq_n_f32(K::kB0), u, q);
  const float32x4_t h = vmulq_n_f32(x, 0.5f);
  return vfmaq_f32(h, h, vdivq_f32(p, q));
}

}  // namespace

void GeluErfNeon(const float* x, size_t n, float* y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t a = Gelu4(vld1q_f32(x + i));
    const float32x4_t b = Gelu4(vld1q_f32(x + i + 4));
    vst1q_f32(y + i, a);
    vst1q_f32(y + i + 4, b);
  }
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, Gelu4(vld1q_f32(x + i)));
  for (; i < n; ++i) y[i] = GeluErfOne(x[i]);
}

}  // namespace qc
