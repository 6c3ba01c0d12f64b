// NEON activation quantization rows: 16 floats per step (four chains for the maximum), the tail element by element.
#include <arm_neon.h>

#include "kernels/f32-i8-quant/kernels.h"
#include "kernels/f32-i8-quant/scalar.h"

namespace qc {

float ActAbsMaxNeon(const float* x, size_t k, bool* has_nan) {
  // vmaxnmq: IEEE maxNum, returns the number when one operand is NaN, so NaN never becomes the maximum.
  float32x4_t m0 = vdupq_n_f32(0.0f), m1 = m0, m2 = m0, m3 = m0;
  uint32x4_t ok = vdupq_n_u32(0xffffffffu);
  size_t i = 0;
  for (; i + 16 <= k; i += 16) {
    const float32x4_t a = vld1q_f32(x + i), b = vld1q_f32(x + i + 4);
    const float32x4_t c = vld1q_f32(x + i + 8), d = vld1q_f32(x + i + 12);
    m0 = vmaxnmq_f32(m0, vabsq_f32(a));
    m1 = vmaxnmq_f32(m1, vabsq_f32(b));
    m2 = vmaxnmq_f32(m2, vabsq_f32(c));
    m3 = vmaxnmq_f32(m3, vabsq_f32(d));
    ok = vandq_u32(ok, vandq_u32(vandq_u32(vceqq_f32(a, a), vceqq_f32(b, b)),
                                 vandq_u32(vceqq_f32(c, c), vceqq_f32(d, d))));  // false only for NaN
  }
  for (; i + 4 <= k; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    m0 = vmaxnmq_f32(m0, vabsq_f32(v));
    ok = vandq_u32(ok, vceqq_f32(v, v));
  }
  float amax = vmaxnmvq_f32(vmaxnmq_f32(vmaxnmq_f32(m0, m1), vmaxnmq_f32(m2, m3)));
  bool nan = vminvq_u32(ok) == 0;
  for (; i < k; ++i) amax = ActAbsMaxStep(amax, x[i], &nan);
  *has_nan = nan;
  return amax;
}

int32_t ActQuantizeRowNeon(const float* x, size_t k, float clip, float scale, int8_t* q) {
  const float32x4_t hi = vdupq_n_f32(clip), lo = vdupq_n_f32(-clip), s = vdupq_n_f32(scale);
  const int16x8_t qmax = vdupq_n_s16(127), qmin = vdupq_n_s16(-127);
  int32x4_t vsum = vdupq_n_s32(0);
  size_t i = 0;
  for (; i + 8 <= k; i += 8) {
    const float32x4_t a = vmulq_f32(vminq_f32(vmaxq_f32(vld1q_f32(x + i), lo), hi), s);
    const float32x4_t b = vmulq_f32(vminq_f32(vmaxq_f32(vld1q_f32(x + i + 4), lo), hi), s);
    // fcvtns: round to nearest, ties to even, independent of FPCR; |a|, |b| <= ~127 so vqmovn never saturates.
    int16x8_t v = vcombine_s16(vqmovn_s32(vcvtnq_s32_f32(a)), vqmovn_s32(vcvtnq_s32_f32(b)));
    v = vminq_s16(vmaxq_s16(v, qmin), qmax);
    vsum = vpadalq_s16(vsum, v);
    vst1_s8(q + i, vqmovn_s16(v));
  }
  int32_t sum = vaddvq_s32(vsum);
  for (; i < k; ++i) {
    const int32_t v = ActQuantizeOne(x[i], clip, scale);
    q[i] = static_cast<int8_t>(v);
    sum += v;
  }
  return sum;
}

}  // namespace qc
