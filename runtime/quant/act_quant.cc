// Activation quantization (quant/act_quant.h). The row loops are kernels (kernels/f32-i8-quant: scalar oracle,
// AVX2, AVX-512, NEON, identical results); this file adds the clip, the padding and the per-tensor / per-token
// bookkeeping around them.
#include "quant/act_quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "configs/act_quant_config.h"

namespace qc {

float ActAbsMax(const float* x, size_t k, float clip, bool* has_nan) {
  const float amax = GetActQuantKernel().abs_max(x, k, has_nan);
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
  const int32_t sum = GetActQuantKernel().quantize_row(x, k, clip, scale, q);
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
