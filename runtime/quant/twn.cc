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

// The 8 lanes as GCC/Clang vector extensions of the 16-byte width every SIMD target has (SSE2, NEON): two float
// quads, four double pairs. One source, lane for lane the same arithmetic as the scalar form (no reassociation), so
// results do not depend on the ISA. (32-byte generic vectors are lowered lane by lane on SSE2.)
typedef float F4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));
typedef float F2 __attribute__((vector_size(8)));
typedef double D2 __attribute__((vector_size(16)));

struct Lanes {  // the 8 partial sums and counts
  D2 sum[4] = {};
  I4 count[2] = {};
};

F4 Load4(const float* p) {
  F4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// min(max(v, -clip), clip) per lane; NaN stays NaN, as in the scalar Clamp.
F4 Clamp4(F4 v, F4 lo, F4 hi) {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}

F4 Abs4(F4 v) {
  I4 bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits &= 0x7fffffff;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// Adds floats 0-1 and 2-3 of `a` to two double pairs.
void AddWidened(F4 a, D2* lo, D2* hi) {
  F2 pair[2];
  std::memcpy(pair, &a, sizeof pair);
  *lo += __builtin_convertvector(pair[0], D2);
  *hi += __builtin_convertvector(pair[1], D2);
}

// Adds the magnitudes of one row (n floats) to the 8 lane sums; `i` is the row's first position in the group.
// Positions are reached in order, 8 at a time once aligned to a lane boundary. kAll: every element counts (a NaN
// reaches the sum, which is how the caller detects it); otherwise those above `threshold`.
template <bool kAll>
void AddRow(const float* w, size_t n, size_t i, float clip, float threshold, Lanes* lanes) {
  Lanes acc = *lanes;  // local: through the pointer the compiler would store and reload it every step
  size_t c = 0;
  auto one = [&](size_t col) {
    const float a = std::fabs(Clamp(w[col], clip));
    if (!kAll && !(a > threshold)) return;
    const size_t l = (i + col) % 8;
    acc.sum[l / 2][l % 2] += a;
    acc.count[l / 4][l % 4] += 1;
  };
  for (; c < n && (i + c) % 8 != 0; ++c) one(c);
  const F4 hi = F4{} + clip, lo = -hi, t = F4{} + threshold;
  for (; c + 8 <= n; c += 8) {
    F4 a0 = Abs4(Clamp4(Load4(w + c), lo, hi));
    F4 a1 = Abs4(Clamp4(Load4(w + c + 4), lo, hi));
    if (!kAll) {
      const I4 k0 = a0 > t, k1 = a1 > t;  // -1 where kept
      a0 = k0 ? a0 : F4{};
      a1 = k1 ? a1 : F4{};
      acc.count[0] -= k0;
      acc.count[1] -= k1;
    }
    AddWidened(a0, &acc.sum[0], &acc.sum[1]);
    AddWidened(a1, &acc.sum[2], &acc.sum[3]);
  }
  for (; c < n; ++c) one(c);
  *lanes = acc;
}

double SumLanes(const Lanes& lanes) {
  double sum = 0.0;
  for (int l = 0; l < 8; ++l) sum += lanes.sum[l / 2][l % 2];
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
  Lanes all;
  for (size_t r = row0; r < row1; ++r) AddRow<true>(w + r * stride, cols, (r - row0) * cols, clip, 0.0f, &all);
  // A NaN, or an infinity the clamp let through, makes the sum NaN or infinite (finite floats cannot overflow a
  // double sum), so one test after the pass replaces a check per element.
  const double sum = SumLanes(all);
  if (!std::isfinite(sum)) return NonFiniteError(w, row0, row1, cols, stride, clip);
  const float mean = static_cast<float>(sum / static_cast<double>(count));
  const float delta = kTwnThresholdFactor * mean;
  // Every element keeps its lane, counted or not, so the partition does not depend on Δ.
  Lanes above;
  for (size_t r = row0; r < row1; ++r) {
    AddRow<false>(w + r * stride, cols, (r - row0) * cols, clip, delta, &above);
  }
  size_t kept = 0;
  for (int l = 0; l < 8; ++l) kept += static_cast<uint32_t>(above.count[l / 4][l % 4]);
  out->delta = delta;
  out->alpha = kept > 0 ? static_cast<float>(SumLanes(above) / static_cast<double>(kept)) : 0.0f;
  return Status::Ok();
}

void WriteCodes(const float* w, size_t row0, size_t row1, size_t cols, size_t stride, float clip, float delta,
                uint8_t* codes, size_t codes_stride) {
  for (size_t r = row0; r < row1; ++r) {
    const float* wr = w + r * stride;
    uint8_t* cr = codes + r * codes_stride;
    size_t c = 0;
    const F4 hi = F4{} + clip, lo = -hi, above = F4{} + delta, below = -above;
    for (; c + 4 <= cols; c += 4) {
      const F4 v = Clamp4(Load4(wr + c), lo, hi);
      const I4 code = 1 - (v > above) + (v < below);  // comparisons give -1 for true
      for (int l = 0; l < 4; ++l) cr[c + l] = static_cast<uint8_t>(code[l]);
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
