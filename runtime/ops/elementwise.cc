#include "ops/elementwise.h"

#include <cmath>

#include "configs/gelu_config.h"

namespace qc {

void Add(const float* a, const float* b, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void AddBias(const float* x, const float* bias, size_t rows, size_t cols, float* y) {
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    for (size_t c = 0; c < cols; ++c) yr[c] = xr[c] + bias[c];
  }
}

void Relu(const float* x, size_t n, float* y) {
  // `x < 0 ? 0 : x` rather than std::max: keeps NaN (torch.relu propagates it) and still vectorises.
  for (size_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void Tanh(const float* x, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void GeluErf(const float* x, size_t n, float* y) {
  GetGeluErfKernel().fn(x, n, y);  // one erf approximation on every ISA, identical bits (kernels/f32-f32-gelu)
}

void GeluTanh(const float* x, size_t n, float* y) {
  // 0.5·x·(1 + tanh(u)) = x / (1 + exp(-2u)): the same function, but one expf (glibc's tanhf is ~5x slower) and
  // no cancellation in 1 + tanh(u) for negative u. exp overflowing to inf for very negative x gives -0, the limit.
  constexpr float kTwoBeta = 2.0f * 0.7978845608028654f;  // 2·√(2/π)
  constexpr float kKappa = 0.044715f;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = v / (1.0f + std::exp(-kTwoBeta * (v + kKappa * v * v * v)));
  }
}

}  // namespace qc
