#include "ops/pooling.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace qc {

Status SelectToken(const float* x, size_t batch, size_t seq, size_t dim, size_t index, float* out) {
  if (index >= seq) {
    return OutOfRange("select token: index " + std::to_string(index) + " is outside a sequence of " +
                      std::to_string(seq) + " tokens");
  }
  for (size_t b = 0; b < batch; ++b) std::memcpy(out + b * dim, x + (b * seq + index) * dim, dim * sizeof(float));
  return Status::Ok();
}

void MaskedMeanPool(const float* x, size_t batch, size_t seq, size_t dim, const TokenMask& mask, float* out) {
  std::vector<double> acc(dim);
  for (size_t b = 0; b < batch; ++b) {
    std::fill(acc.begin(), acc.end(), 0.0);
    double weight = 0.0;
    for (size_t s = 0; s < seq; ++s) {
      const double m = mask.Value(b * seq + s);
      // A masked token contributes nothing, even a non-finite state (PyTorch's x·mask would make that NaN).
      if (m == 0.0) continue;
      weight += m;
      const float* xr = x + (b * seq + s) * dim;
      for (size_t c = 0; c < dim; ++c) acc[c] += m * xr[c];
    }
    const double denom = std::max(weight, 1e-9);  // sentence-transformers: torch.clamp(sum_mask, min=1e-9)
    float* o = out + b * dim;
    for (size_t c = 0; c < dim; ++c) o[c] = static_cast<float>(acc[c] / denom);
  }
}

void L2Normalize(const float* x, size_t rows, size_t cols, float eps, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double sq = 0.0;
    for (size_t c = 0; c < cols; ++c) sq += static_cast<double>(xr[c]) * xr[c];
    const float inv = static_cast<float>(1.0 / std::max(std::sqrt(sq), static_cast<double>(eps)));
    for (size_t c = 0; c < cols; ++c) yr[c] = xr[c] * inv;
  }
}

}  // namespace qc
