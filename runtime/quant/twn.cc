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

// Δ and α of the rows [row0, row1) of w, every sum in double over 8 interleaved partial sums (element i of the group
// in row-major order goes to partial i mod 8; the partials are added in order 0..7), docs/quantization.md §2. Eight
// independent chains instead of one keep the floating-point adder busy (a single running double sum is bound by its
// latency), with a fixed order all the same.
// Adds the magnitudes of one row (n floats) to the 8 lane sums; `i` is the row's first position in the group.
// Positions are reached in order, 8 at a time once aligned to a lane boundary, so the compiler can keep the lanes in
// registers and vectorise; `keep(a)` selects the elements that count (all, or those above Δ).
template <typename Keep>
void AddRow(const float* w, size_t n, size_t i, float clip, double (&part)[8], size_t* kept, Keep keep) {
  size_t c = 0;
  for (; c < n && (i + c) % 8 != 0; ++c) {
    const float a = std::fabs(Clamp(w[c], clip));
    if (keep(a)) part[(i + c) % 8] += a, ++*kept;
  }
  for (; c + 8 <= n; c += 8) {
    for (size_t l = 0; l < 8; ++l) {
      const float a = std::fabs(Clamp(w[c + l], clip));
      const bool k = keep(a);
      part[l] += k ? a : 0.0f;
      *kept += k ? 1 : 0;
    }
  }
  for (; c < n; ++c) {
    const float a = std::fabs(Clamp(w[c], clip));
    if (keep(a)) part[(i + c) % 8] += a, ++*kept;
  }
}

Status GroupStatistics(const float* w, size_t row0, size_t row1, size_t cols, size_t stride, float clip,
                       GroupStats* out) {
  const size_t count = (row1 - row0) * cols;
  *out = GroupStats{};
  if (count == 0) return Status::Ok();
  for (size_t r = row0; r < row1; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const float v = w[r * stride + c];
      if (!std::isfinite(Clamp(v, clip))) {
        return InvalidArgument("TernarizeTwn: weight (row " + std::to_string(r) + ", col " + std::to_string(c) +
                               ") is " + std::to_string(v) + "; weights must be finite (or clipped)");
      }
    }
  }
  double part[8] = {};
  size_t unused = 0;
  for (size_t r = row0; r < row1; ++r) {
    AddRow(w + r * stride, cols, (r - row0) * cols, clip, part, &unused, [](float) { return true; });
  }
  double sum = 0.0;
  for (double p : part) sum += p;
  const float mean = static_cast<float>(sum / static_cast<double>(count));
  const float delta = kTwnThresholdFactor * mean;
  // Every element keeps its lane, counted or not, so the partition does not depend on Δ.
  double kept_part[8] = {};
  size_t kept = 0;
  for (size_t r = row0; r < row1; ++r) {
    AddRow(w + r * stride, cols, (r - row0) * cols, clip, kept_part, &kept, [delta](float a) { return a > delta; });
  }
  double kept_sum = 0.0;
  for (double p : kept_part) kept_sum += p;
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
