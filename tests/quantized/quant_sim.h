// tests/quantized/quant_sim.h: an independent scalar simulation of the quantized ops (docs/quantization.md
// "Quantized ops"), written as plain loops from the formulas, sharing no code with the runtime.
//
//   SimActs a = SimQuantizeActs(x, m, k, granularity, clip, amax);   // int8 codes q [m, k] and dequant d [m]
//   double y = fake-quant forward: Σ_k (α_j·w[j,k]) · (q[i,k]·d_i) + b_j   (SimFakeQuantLinear)
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qc::test {

/// act_granularity values (docs: 1 per_token, 2 per_tensor, 3 static).
enum class SimGranularity { kPerToken = 1, kPerTensor = 2, kStatic = 3 };

struct SimActs {
  std::vector<int8_t> q;   ///< [m, k]
  std::vector<float> d;    ///< [m] dequant (x̂ = q · d)
};

/// clip 0 = none; amax used only for static.
SimActs SimQuantizeActs(const std::vector<float>& x, size_t m, size_t k, SimGranularity g, float clip, float amax);

/// Σ_k w_int[j, k] · q[i, k] exactly (int64), [m, n]; w_int values in [-127, 127], row-major [n, k].
std::vector<int64_t> SimIntProduct(const std::vector<int8_t>& q, const std::vector<int8_t>& w_int, size_t m, size_t k,
                                   size_t n);

/// Fake-quant float64 forward: y[i, j] = Σ_k (α_j w[j,k]) (q[i,k] d_i) + b_j; also returns in *magnitude the sum of
/// |terms| + |b_j| per output (the scale the rounding error bound is relative to).
std::vector<double> SimFakeQuantLinear(const SimActs& a, const std::vector<int8_t>& w_int, const std::vector<float>& alpha,
                                       const std::vector<float>& bias, size_t m, size_t k, size_t n,
                                       std::vector<double>* magnitude);

double SimGeluErf(double x);
double SimGeluTanh(double x);

}  // namespace qc::test
