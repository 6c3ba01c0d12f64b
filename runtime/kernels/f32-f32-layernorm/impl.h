// kernels/f32-f32-layernorm/impl.h: the one LayerNorm source every kernel file compiles (kernels.h). Included only
// by this folder's .cc files; everything is in an unnamed namespace, so each ISA's copy stays in its own file.
#pragma once

#include <cmath>
#include <cstddef>

namespace qc {
namespace {

// Eight independent double partial sums: a fixed summation order the compiler can still vectorise (a single
// running sum would serialise on FP-add latency).
inline double LayerNormSum(const float* x, size_t n) {
  double part[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) part[l] += x[i + l];
  }
  double sum = 0.0;
  for (; i < n; ++i) sum += x[i];
  for (double p : part) sum += p;
  return sum;
}

inline double LayerNormSumSquaredDeviations(const float* x, size_t n, double mean) {
  double part[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) {
      const double d = x[i + l] - mean;
      part[l] += d * d;
    }
  }
  double sum = 0.0;
  for (; i < n; ++i) sum += (x[i] - mean) * (x[i] - mean);
  for (double p : part) sum += p;
  return sum;
}

inline void LayerNormRows(const float* x, size_t rows, size_t cols, const float* gamma, const float* beta, float eps,
                          float* y) {
  if (cols == 0) return;
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const double mean = LayerNormSum(xr, cols) / static_cast<double>(cols);
    const double var = LayerNormSumSquaredDeviations(xr, cols, mean) / static_cast<double>(cols);
    const double rstd = 1.0 / std::sqrt(var + static_cast<double>(eps));
    // (x - mean)·rstd in double: with a float mean, rows with a large offset and a small spread (|mean| >> std)
    // would lose digits to the mean's rounding, magnified by rstd.
    if (gamma != nullptr && beta != nullptr) {
      for (size_t c = 0; c < cols; ++c) yr[c] = static_cast<float>((xr[c] - mean) * rstd) * gamma[c] + beta[c];
    } else {
      for (size_t c = 0; c < cols; ++c) {
        float v = static_cast<float>((xr[c] - mean) * rstd);
        if (gamma != nullptr) v *= gamma[c];
        if (beta != nullptr) v += beta[c];
        yr[c] = v;
      }
    }
  }
}

}  // namespace
}  // namespace qc
