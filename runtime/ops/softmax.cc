#include "ops/softmax.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace qc {

void SoftmaxRowInPlace(float* v, size_t n) {
  if (n == 0) return;
  float max = -std::numeric_limits<float>::infinity();
  for (size_t j = 0; j < n; ++j) max = v[j] > max ? v[j] : max;
  // If the max is -inf every entry is -inf: -inf - -inf is NaN below, which is what PyTorch returns.
  double sum = 0.0;
  for (size_t j = 0; j < n; ++j) {
    v[j] = std::exp(v[j] - max);
    sum += v[j];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (size_t j = 0; j < n; ++j) v[j] *= inv;
}

void Softmax(const float* x, size_t rows, size_t cols, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    if (x != y) std::memcpy(y + r * cols, x + r * cols, cols * sizeof(float));
    SoftmaxRowInPlace(y + r * cols, cols);
  }
}

}  // namespace qc
