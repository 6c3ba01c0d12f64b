// kernels/f32-i8-quant/scalar.h: one element of the kernels.h contract, for the oracle and the SIMD tails.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "quant/rounding.h"

namespace qc {

/// |v| folded into a running maximum that skips NaN.
static inline float ActAbsMaxStep(float amax, float v, bool* has_nan) {
  const float a = std::fabs(v);
  if (std::isnan(a)) {
    *has_nan = true;
    return amax;
  }
  return a > amax ? a : amax;
}

static inline int32_t ActQuantizeOne(float x, float clip, float scale) {
  const float c = std::min(std::max(x, -clip), clip);
  return std::min(std::max(RoundHalfEven(c * scale), int32_t{-127}), int32_t{127});
}

}  // namespace qc
