#include "quant/twn.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
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

// Eight floats and eight doubles as GCC/Clang vector extensions: one source that compiles to SSE2 pairs, AVX or NEON
// as the target allows, lane for lane the same arithmetic as the scalar form (no reassociation), so results do not
// depend on the ISA.
typedef float F8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));
typedef double D8 __attribute__((vector_size(64)));

// Helpers write through pointers: a 32-byte vector returned by value would change the ABI between SSE and AVX builds
// (-Wpsabi).
void Load8(const float* p, F8* v) {
  std::memcpy(v, p, sizeof *v);
}

// min(max(v, -clip), clip) per lane; NaN stays NaN, as in the scalar Clamp.
void Clamp8(float clip, F8* v) {
  *v = *v < -clip ? F8{} - clip : *v;
  *v = clip < *v ? F8{} + clip : *v;
}

void Abs8(F8* v) {
  I8 bits;
  std::memcpy(&bits, v, sizeof bits);
  bits &= 0x7fffffff;
  std::memcpy(v, &bits, sizeof *v);
}

// Adds the magnitudes of one row (n floats) to the 8 lane sums; `i` is the row's first position in the group.
// Positions are reached in order, 8 at a time once aligned to a lane boundary (one vector of lanes). kAll: every
// element counts (a NaN reaches the sum, which is how the caller detects it); otherwise those above `threshold`.
template <bool kAll>
void AddRow(const float* w, size_t n, size_t i, float clip, float threshold, D8* part, I8* kept) {
  size_t c = 0;
  auto one = [&](size_t col) {
    const float a = std::fabs(Clamp(w[col], clip));
    if (!kAll && !(a > threshold)) return;
    (*part)[(i + col) % 8] += a;
    (*kept)[(i + col) % 8] += 1;
  };
  for (; c < n && (i + c) % 8 != 0; ++c) one(c);
  for (; c + 8 <= n; c += 8) {
    F8 a;
    Load8(w + c, &a);
    Clamp8(clip, &a);
    Abs8(&a);
    if (kAll) {
      *part += __builtin_convertvector(a, D8);
    } else {
      const I8 k = a > threshold;  // -1 where kept
      *part += __builtin_convertvector(k ? a : F8{}, D8);
      *kept -= k;
    }
  }
  for (; c < n; ++c) one(c);
}

double SumLanes(const D8& part) {
  double sum = 0.0;
  for (int l = 0; l < 8; ++l) sum += part[l];
  return sum;
}

// Reports the first element of rows [row0, row1) that is not finite after the clamp (the error path only).
Status NonFiniteError(const float* w, size_t row0, size_t row1, size_t cols, size_t stride, float clip) {
  for (size_t r = row0; r < row1; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      const float v = w[r * stride + c];
      if (!std::isfinite(Clamp(v, clip))) {
        return InvalidArgument("TernarizeTwn: weight (row " + std::to_string(r) + ", col " + std::to_string(c) +
                               ") is " + std::to_string(v) + "; weights must be finite (or clipped)");
      }
    }
  }
  return InvalidArgument("TernarizeTwn: the magnitude sum of rows " + std::to_string(row0) + ".." +
                         std::to_string(row1) + " is not finite");
}

// Δ and α of the rows [row0, row1) of w, every sum in double over 8 interleaved partial sums (element i of the group
// in row-major order goes to partial i mod 8; the partials are added in order 0..7), docs/quantization.md §2. Eight
// independent chains instead of one keep the floating-point adder busy (a single running double sum is bound by its
// latency), with a fixed order all the same.
Status GroupStatistics(const float* w, size_t row0, size_t row1, size_t cols, size_t stride, float clip,
                       GroupStats* out) {
  const size_t count = (row1 - row0) * cols;
  *out = GroupStats{};
  if (count == 0) return Status::Ok();
  D8 part = {};
  I8 unused = {};
  for (size_t r = row0; r < row1; ++r)
    AddRow<true>(w + r * stride, cols, (r - row0) * cols, clip, 0.0f, &part, &unused);
  // A NaN, or an infinity the clamp let through, makes the sum NaN or infinite (finite floats cannot overflow a
  // double sum), so one test after the pass replaces a check per element.
  const double sum = SumLanes(part);
  if (!std::isfinite(sum)) return NonFiniteError(w, row0, row1, cols, stride, clip);
  const float mean = static_cast<float>(sum / static_cast<double>(count));
  const float delta = kTwnThresholdFactor * mean;
  // Every element keeps its lane, counted or not, so the partition does not depend on Δ.
  D8 kept_part = {};
  I8 kept_lanes = {};
  for (size_t r = row0; r < row1; ++r) {
    AddRow<false>(w + r * stride, cols, (r - row0) * cols, clip, delta, &kept_part, &kept_lanes);
  }
  size_t kept = 0;
  for (int l = 0; l < 8; ++l) kept += static_cast<uint32_t>(kept_lanes[l]);
  out->delta = delta;
  out->alpha = kept > 0 ? static_cast<float>(SumLanes(kept_part) / static_cast<double>(kept)) : 0.0f;
  return Status::Ok();
}

void WriteCodes(const float* w, size_t row0, size_t row1, size_t cols, size_t stride, float clip, float delta,
                uint8_t* codes, size_t codes_stride) {
  for (size_t r = row0; r < row1; ++r) {
    const float* wr = w + r * stride;
    uint8_t* cr = codes + r * codes_stride;
    size_t c = 0;
    for (; c + 8 <= cols; c += 8) {
      F8 v;
      Load8(wr + c, &v);
      Clamp8(clip, &v);
      const I8 code = 1 - (v > delta) + (v < -delta);  // comparisons give -1 for true
      for (int l = 0; l < 8; ++l) cr[c + l] = static_cast<uint8_t>(code[l]);
    }
    for (; c < cols; ++c) {
      const float v = Clamp(wr[c], clip);
      cr[c] = v > delta ? 2 : (v < -delta ? 0 : 1);
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
