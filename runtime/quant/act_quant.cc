// Activation quantization (quant/act_quant.h). The row loops have a 4/8-wide path on the baseline vector ISA of
// each architecture (SSE2 on x86-64, Advanced SIMD on AArch64: no extra compile flags) and a scalar tail. Both
// compute exactly the formulas of the header: clamp, one float multiply, round-half-even conversion, integer clamp,
// so they agree bit for bit (tests/kernels_t2/act_quant_test.cc checks them against a plain scalar oracle).
#include "quant/act_quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "quant/rounding.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace qc {
namespace {

inline float Clamp(float v, float clip) {
  return std::min(std::max(v, -clip), clip);
}

inline int32_t QuantizeOne(float x, float clip, float scale) {
  const int32_t r = RoundHalfEven(Clamp(x, clip) * scale);
  return std::min(std::max(r, -kActQMax), kActQMax);
}

}  // namespace

float ActAbsMax(const float* x, size_t k, float clip, bool* has_nan) {
  float amax = 0.0f;
  bool nan = false;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
  __m128 vmax = _mm_setzero_ps();
  __m128 vnan = _mm_setzero_ps();
  for (; i + 4 <= k; i += 4) {
    const __m128 v = _mm_loadu_ps(x + i);
    vmax = _mm_max_ps(vmax, _mm_and_ps(v, abs_mask));
    vnan = _mm_or_ps(vnan, _mm_cmpunord_ps(v, v));
  }
  alignas(16) float lanes[4];
  _mm_store_ps(lanes, vmax);
  amax = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
  nan = _mm_movemask_ps(vnan) != 0;
#elif defined(__aarch64__)
  float32x4_t vmax = vdupq_n_f32(0.0f);
  uint32x4_t vok = vdupq_n_u32(0xffffffffu);
  for (; i + 4 <= k; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    vmax = vmaxq_f32(vmax, vabsq_f32(v));
    vok = vandq_u32(vok, vceqq_f32(v, v));  // false only for NaN
  }
  amax = vmaxvq_f32(vmax);
  nan = vminvq_u32(vok) == 0;
#endif
  for (; i < k; ++i) {
    const float a = std::fabs(x[i]);
    if (std::isnan(a)) {
      nan = true;
    } else if (a > amax) {
      amax = a;
    }
  }
  *has_nan = nan;
  return std::min(amax, clip);  // max|clamp(x)| = min(max|x|, clip): clamping is monotone in |x|
}

ActScale ActScaleFromAbsMax(float amax) {
  ActScale s;
  if (!(amax > 0.0f)) return s;
  const float scale = static_cast<float>(kActQMax) / amax;
  if (!std::isfinite(scale)) return s;  // amax below 127 / FLT_MAX: treated as an all-zero group
  s.scale = scale;
  s.dequant = amax / static_cast<float>(kActQMax);
  return s;
}

int32_t QuantizeActivationRow(const float* x, size_t k, float clip, float scale, int8_t* q, size_t q_cols) {
  int32_t sum = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128 hi = _mm_set1_ps(clip), lo = _mm_set1_ps(-clip), s = _mm_set1_ps(scale);
  const __m128i qmax = _mm_set1_epi16(kActQMax), qmin = _mm_set1_epi16(-kActQMax), ones = _mm_set1_epi16(1);
  __m128i vsum = _mm_setzero_si128();
  for (; i + 8 <= k; i += 8) {
    // _mm_max_ps(v, lo) / _mm_min_ps(·, hi) return exactly std::max(v, -clip) / std::min(·, clip) for non-NaN v.
    const __m128 a = _mm_mul_ps(_mm_min_ps(_mm_max_ps(_mm_loadu_ps(x + i), lo), hi), s);
    const __m128 b = _mm_mul_ps(_mm_min_ps(_mm_max_ps(_mm_loadu_ps(x + i + 4), lo), hi), s);
    // cvtps2dq rounds half to even (default MXCSR); |a|, |b| <= ~127 so the int16 saturation never triggers.
    __m128i v = _mm_packs_epi32(_mm_cvtps_epi32(a), _mm_cvtps_epi32(b));
    v = _mm_min_epi16(_mm_max_epi16(v, qmin), qmax);
    vsum = _mm_add_epi32(vsum, _mm_madd_epi16(v, ones));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm_packs_epi16(v, v));
  }
  alignas(16) int32_t lanes[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), vsum);
  sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
#elif defined(__aarch64__)
  const float32x4_t hi = vdupq_n_f32(clip), lo = vdupq_n_f32(-clip), s = vdupq_n_f32(scale);
  const int16x8_t qmax = vdupq_n_s16(kActQMax), qmin = vdupq_n_s16(-kActQMax);
  int32x4_t vsum = vdupq_n_s32(0);
  for (; i + 8 <= k; i += 8) {
    const float32x4_t a = vmulq_f32(vminq_f32(vmaxq_f32(vld1q_f32(x + i), lo), hi), s);
    const float32x4_t b = vmulq_f32(vminq_f32(vmaxq_f32(vld1q_f32(x + i + 4), lo), hi), s);
    // fcvtns: round to nearest, ties to even, independent of FPCR.
    int16x8_t v = vcombine_s16(vqmovn_s32(vcvtnq_s32_f32(a)), vqmovn_s32(vcvtnq_s32_f32(b)));
    v = vminq_s16(vmaxq_s16(v, qmin), qmax);
    vsum = vpadalq_s16(vsum, v);
    vst1_s8(q + i, vqmovn_s16(v));
  }
  sum = vaddvq_s32(vsum);
#endif
  for (; i < k; ++i) {
    const int32_t v = QuantizeOne(x[i], clip, scale);
    q[i] = static_cast<int8_t>(v);
    sum += v;
  }
  if (q_cols > k) std::memset(q + k, 0, q_cols - k);
  return sum;
}

Status QuantizeActivations(const float* x, size_t m, size_t k, size_t x_stride, const ActQuantParams& params,
                           const ActQuantOutput& out) {
  const float clip = params.clip;
  if (!(clip > 0.0f)) {
    return InvalidArgument("QuantizeActivations: clip " + std::to_string(clip) + " must be > 0 (+inf for none)");
  }
  if (out.q_cols < k || (m > 1 && out.q_stride < out.q_cols) || (m > 1 && k > 0 && x_stride < k)) {
    return InvalidArgument("QuantizeActivations: q_cols " + std::to_string(out.q_cols) + ", q_stride " +
                           std::to_string(out.q_stride) + ", x_stride " + std::to_string(x_stride) +
                           " do not fit rows of k = " + std::to_string(k));
  }
  auto check_row = [&](size_t row, float amax, bool has_nan) -> Status {
    if (has_nan || !std::isfinite(amax)) {
      return InvalidArgument("QuantizeActivations: row " + std::to_string(row) + " of [" + std::to_string(m) + ", " +
                             std::to_string(k) + "] holds " +
                             (has_nan ? "NaN" : "an infinity the clip does not bound"));
    }
    return Status::Ok();
  };
  if (params.granularity == ActGranularity::kPerTensor) {
    float amax = 0.0f;
    for (size_t r = 0; r < m; ++r) {
      bool has_nan = false;
      const float row_max = ActAbsMax(x + r * x_stride, k, clip, &has_nan);
      QC_RETURN_IF_ERROR(check_row(r, row_max, has_nan));
      amax = std::max(amax, row_max);
    }
    const ActScale sc = ActScaleFromAbsMax(amax);
    for (size_t r = 0; r < m; ++r) {
      out.scale[r] = sc.scale;
      out.dequant[r] = sc.dequant;
      out.row_sum[r] = QuantizeActivationRow(x + r * x_stride, k, clip, sc.scale, out.q + r * out.q_stride, out.q_cols);
    }
    return Status::Ok();
  }
  for (size_t r = 0; r < m; ++r) {
    const float* row = x + r * x_stride;
    bool has_nan = false;
    const float amax = ActAbsMax(row, k, clip, &has_nan);
    QC_RETURN_IF_ERROR(check_row(r, amax, has_nan));
    const ActScale sc = ActScaleFromAbsMax(amax);
    out.scale[r] = sc.scale;
    out.dequant[r] = sc.dequant;
    out.row_sum[r] = QuantizeActivationRow(row, k, clip, sc.scale, out.q + r * out.q_stride, out.q_cols);
  }
  return Status::Ok();
}

}  // namespace qc
