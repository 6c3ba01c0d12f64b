#include "quant/twn.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace qc {
namespace {

struct GroupStats {
  float delta = 0.0f;
  float alpha = 0.0f;
};

float Clamp(float v, float clip) {
  return std::min(std::max(v, -clip), clip);
}

// Δ and α of the rows [row0, row1) of w, every sum in double and in row-major order (docs/quantization.md §2).
Status GroupStatistics(const float* w, size_t row0, size_t row1, size_t cols, size_t stride, float clip,
                       GroupStats* out) {
  const size_t count = (row1 - row0) * cols;
  *out = GroupStats{};
  if (count == 0) return Status::Ok();
  double sum = 0.0;
  for (size_t r = row0; r < row1; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const float v = w[r * stride + c];
      const float a = std::fabs(Clamp(v, clip));
      if (!std::isfinite(a)) {
        return InvalidArgument("TernarizeTwn: weight (row " + std::to_string(r) + ", col " + std::to_string(c) +
                               ") is " + std::to_string(v) + "; weights must be finite (or clipped)");
      }
      sum += a;
    }
  }
  const float mean = static_cast<float>(sum / static_cast<double>(count));
  const float delta = kTwnThresholdFactor * mean;
  double kept_sum = 0.0;
  size_t kept = 0;
  for (size_t r = row0; r < row1; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const float a = std::fabs(Clamp(w[r * stride + c], clip));
      if (a > delta) {
        kept_sum += a;
        ++kept;
      }
    }
  }
  out->delta = delta;
  out->alpha = kept > 0 ? static_cast<float>(kept_sum / static_cast<double>(kept)) : 0.0f;
  return Status::Ok();
}

void WriteCodes(const float* w, size_t row0, size_t row1, size_t cols, size_t stride, float clip, float delta,
                uint8_t* codes, size_t codes_stride) {
  for (size_t r = row0; r < row1; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const float v = Clamp(w[r * stride + c], clip);
      codes[r * codes_stride + c] = v > delta ? 2 : (v < -delta ? 0 : 1);
    }
  }
}

}  // namespace

Status TernarizeTwn(const float* w, size_t rows, size_t cols, size_t w_stride, const TwnParams& params, uint8_t* codes,
                    size_t codes_stride, float* alpha, float* delta) {
  if (!(params.clip > 0.0f)) {
    return InvalidArgument("TernarizeTwn: clip " + std::to_string(params.clip) + " must be > 0 (+inf for none)");
  }
  if (rows > 1 && cols > 0 && (w_stride < cols || codes_stride < cols)) {
    return InvalidArgument("TernarizeTwn: row strides " + std::to_string(w_stride) + "/" +
                           std::to_string(codes_stride) + " shorter than " + std::to_string(cols) + " columns");
  }
  if (params.granularity == TwnGranularity::kPerTensor) {
    GroupStats s;
    QC_RETURN_IF_ERROR(GroupStatistics(w, 0, rows, cols, w_stride, params.clip, &s));
    WriteCodes(w, 0, rows, cols, w_stride, params.clip, s.delta, codes, codes_stride);
    alpha[0] = s.alpha;
    if (delta != nullptr) delta[0] = s.delta;
    return Status::Ok();
  }
  for (size_t r = 0; r < rows; ++r) {
    GroupStats s;
    QC_RETURN_IF_ERROR(GroupStatistics(w, r, r + 1, cols, w_stride, params.clip, &s));
    WriteCodes(w, r, r + 1, cols, w_stride, params.clip, s.delta, codes, codes_stride);
    alpha[r] = s.alpha;
    if (delta != nullptr) delta[r] = s.delta;
  }
  return Status::Ok();
}

}  // namespace qc
