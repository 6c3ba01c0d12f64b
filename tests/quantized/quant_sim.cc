#include "quant_sim.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qc::test {
namespace {

// s = 127 / amax, d = amax / 127 (float divisions); all-zero rule for amax == 0 or an infinite s.
void Scales(float amax, float* s, float* d) {
  *s = 0.0f;
  *d = 0.0f;
  if (!(amax > 0.0f)) return;
  const float scale = 127.0f / amax;
  if (std::isinf(scale)) return;
  *s = scale;
  *d = amax / 127.0f;
}

int8_t Code(float x, float clip, float s) {
  const float xc = std::min(std::max(x, -clip), clip);
  const float product = xc * s;
  long r = std::lrint(product);  // default rounding mode: to nearest, ties to even
  r = std::min(127L, std::max(-127L, r));
  return static_cast<int8_t>(r);
}

}  // namespace

SimActs SimQuantizeActs(const std::vector<float>& x, size_t m, size_t k, SimGranularity g, float clip, float amax) {
  const float c = clip > 0 ? clip : std::numeric_limits<float>::infinity();
  SimActs out;
  out.q.resize(m * k);
  out.d.resize(m);
  std::vector<float> s(m);
  if (g == SimGranularity::kStatic) {
    float scale, dequant;
    Scales(amax, &scale, &dequant);
    for (size_t i = 0; i < m; ++i) s[i] = scale, out.d[i] = dequant;
    for (size_t i = 0; i < m * k; ++i) out.q[i] = Code(x[i], std::min(c, amax), s[i / k]);
    return out;
  }
  std::vector<float> row_amax(m, 0.0f);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < k; ++j) {
      const float xc = std::min(std::max(x[i * k + j], -c), c);
      row_amax[i] = std::max(row_amax[i], std::fabs(xc));
    }
  }
  if (g == SimGranularity::kPerTensor) {
    float all = 0.0f;
    for (float a : row_amax) all = std::max(all, a);
    std::fill(row_amax.begin(), row_amax.end(), all);
  }
  for (size_t i = 0; i < m; ++i) {
    Scales(row_amax[i], &s[i], &out.d[i]);
    for (size_t j = 0; j < k; ++j) out.q[i * k + j] = Code(x[i * k + j], c, s[i]);
  }
  return out;
}

std::vector<int64_t> SimIntProduct(const std::vector<int8_t>& q, const std::vector<int8_t>& w_int, size_t m, size_t k,
                                   size_t n) {
  std::vector<int64_t> y(m * n, 0);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (size_t t = 0; t < k; ++t) acc += int64_t{w_int[j * k + t]} * q[i * k + t];
      y[i * n + j] = acc;
    }
  }
  return y;
}

std::vector<double> SimFakeQuantLinear(const SimActs& a, const std::vector<int8_t>& w_int, const std::vector<float>& alpha,
                                       const std::vector<float>& bias, size_t m, size_t k, size_t n,
                                       std::vector<double>* magnitude) {
  std::vector<double> y(m * n);
  magnitude->assign(m * n, 0.0);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      const double aj = alpha.size() == 1 ? alpha[0] : alpha[j];
      const double b = bias.empty() ? 0.0 : bias[j];
      double acc = 0.0, mag = 0.0;
      for (size_t t = 0; t < k; ++t) {
        const double term = (aj * w_int[j * k + t]) * (static_cast<double>(a.q[i * k + t]) * a.d[i]);
        acc += term;
        mag += std::fabs(term);
      }
      y[i * n + j] = acc + b;
      (*magnitude)[i * n + j] = mag + std::fabs(b);
    }
  }
  return y;
}

double SimGeluErf(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

double SimGeluTanh(double x) {
  const double kPi = 3.14159265358979323846;
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / kPi) * (x + 0.044715 * x * x * x)));
}

}  // namespace qc::test
