// NEON QAttention softmax row: kernels.h's contract on 4 lanes; the 16 lane sums are four q-register accumulators,
// and the last partial group of 16 goes through a zero-padded copy.
#include <arm_neon.h>

#include <cstring>
#include <limits>

#include "kernels/i32-f32-softmax/kernels.h"
#include "kernels/i32-f32-softmax/scalar.h"

namespace qc {
namespace {

// vfmaq_f32(a, b, c) = a + b·c.
inline float32x4_t Exp4(float32x4_t x) {
  using K = QcExpConstants;
  const uint32x4_t tiny = vcltq_f32(x, vdupq_n_f32(K::kMinArg));
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, K::kLog2e));  // frintn: ties to even
  float32x4_t r = vfmaq_f32(x, n, vdupq_n_f32(-K::kLn2Hi));
  r = vfmaq_f32(r, n, vdupq_n_f32(-K::kLn2Lo));
  float32x4_t poly = vfmaq_f32(vdupq_n_f32(K::kP1), vdupq_n_f32(K::kP0), r);
  poly = vfmaq_f32(vdupq_n_f32(K::kP2), poly, r);
  poly = vfmaq_f32(vdupq_n_f32(K::kP3), poly, r);
  poly = vfmaq_f32(vdupq_n_f32(K::kP4), poly, r);
  poly = vfmaq_f32(vdupq_n_f32(K::kP5), poly, r);
  const float32x4_t t = vfmaq_f32(r, poly, vmulq_f32(r, r));
  const int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  const float32x4_t y = vmulq_f32(vaddq_f32(t, vdupq_n_f32(1.0f)), vreinterpretq_f32_s32(bits));
  return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(y), tiny));
}

}  // namespace

void QSoftmaxRowNeon(const QSoftmaxRowArgs& a) {
  const size_t n = a.n, full = n / 4 * 4;
  const float32x4_t dq = vdupq_n_f32(a.dq), scale = vdupq_n_f32(a.scale);
  float32x4_t vmax = vdupq_n_f32(-std::numeric_limits<float>::infinity());
  for (size_t j = 0; j < full; j += 4) {
    const float32x4_t dqk = vmulq_f32(dq, vld1q_f32(a.dk + j));
    float32x4_t sc = vmulq_f32(vmulq_f32(vcvtq_f32_s32(vld1q_s32(a.s + j)), dqk), scale);
    if (a.add != nullptr) sc = vaddq_f32(sc, vld1q_f32(a.add + j));
    vst1q_f32(a.p + j, sc);
    vmax = vbslq_f32(vcgtq_f32(sc, vmax), sc, vmax);  // sc > vmax is false for NaN: NaN never becomes the max
  }
  float m = -std::numeric_limits<float>::infinity();
  for (int l = 0; l < 4; ++l) {
    const float v = vgetq_lane_f32(vmax, 0);
    m = v > m ? v : m;
    vmax = vextq_f32(vmax, vmax, 1);
  }
  for (size_t j = full; j < n; ++j) {
    a.p[j] = QSoftmaxScore(a, j);
    m = a.p[j] > m ? a.p[j] : m;
  }
  const float32x4_t mx = vdupq_n_f32(m);
  float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
  const size_t full16 = n / 16 * 16;
  for (size_t j = 0; j < full16; j += 16) {
    for (int g = 0; g < 4; ++g) {
      const float32x4_t e = Exp4(vsubq_f32(vld1q_f32(a.p + j + 4 * g), mx));
      vst1q_f32(a.p + j + 4 * g, e);
      acc[g] = vaddq_f32(acc[g], e);
    }
  }
  if (full16 < n) {
    float rest[16];
    for (size_t j = 0; j < 16; ++j) rest[j] = full16 + j < n ? QcExp(a.p[full16 + j] - m) : 0.0f;
    std::memcpy(a.p + full16, rest, (n - full16) * sizeof(float));
    for (int g = 0; g < 4; ++g) acc[g] = vaddq_f32(acc[g], vld1q_f32(rest + 4 * g));
  }
  float lane[16];
  for (int g = 0; g < 4; ++g) vst1q_f32(lane + 4 * g, acc[g]);
  const float sum = QSoftmaxFold(lane);
  const float32x4_t vsum = vdupq_n_f32(sum);
  for (size_t j = 0; j < full; j += 4) {
    vst1q_f32(a.p + j, vmulq_f32(vdivq_f32(vld1q_f32(a.p + j), vsum), vld1q_f32(a.dv + j)));
  }
  for (size_t j = full; j < n; ++j) a.p[j] = (a.p[j] / sum) * a.dv[j];
}

}  // namespace qc
