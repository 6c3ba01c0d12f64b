// The oracle: the contract of kernels.h one element at a time.
#include "kernels/f32-i8-quant/kernels.h"
#include "kernels/f32-i8-quant/scalar.h"

namespace qc {

float ActAbsMaxRef(const float* x, size_t k, bool* has_nan) {
  float amax = 0.0f;
  bool nan = false;
  for (size_t i = 0; i < k; ++i) amax = ActAbsMaxStep(amax, x[i], &nan);
  *has_nan = nan;
  return amax;
}

int32_t ActQuantizeRowRef(const float* x, size_t k, float clip, float scale, int8_t* q) {
  int32_t sum = 0;
  for (size_t i = 0; i < k; ++i) {
    const int32_t v = ActQuantizeOne(x[i], clip, scale);
    q[i] = static_cast<int8_t>(v);
    sum += v;
  }
  return sum;
}

}  // namespace qc
