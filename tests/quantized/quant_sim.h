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
  std::vector<int8_t> q;  ///< [m, k]
  std::vector<float> d;   ///< [m] dequant (x̂ = q · d)
};

/// clip 0 = none; amax used only for static.
SimActs SimQuantizeActs(const std::vector<float>& x, size_t m, size_t k, SimGranularity g, float clip, float amax);

/// Σ_k w_int[j, k] · q[i, k] exactly (int64), [m, n]; w_int values in [-127, 127], row-major [n, k].
std::vector<int64_t> SimIntProduct(const std::vector<int8_t>& q, const std::vector<int8_t>& w_int, size_t m, size_t k,
                                   size_t n);

/// Fake-quant float64 forward: y[i, j] = Σ_k (α_j w[j,k]) (q[i,k] d_i) + b_j; also returns in *magnitude the sum of
/// |terms| + |b_j| per output (the scale the rounding error bound is relative to).
std::vector<double> SimFakeQuantLinear(const SimActs& a, const std::vector<int8_t>& w_int,
                                       const std::vector<float>& alpha, const std::vector<float>& bias, size_t m,
                                       size_t k, size_t n, std::vector<double>* magnitude);

/// A QLinear's contract before its epilogue (docs/quantization.md §7.2), with act_groups G (1 = one group): each
/// group's columns quantized on their own, exact int64 sums, `exact` = fma(float(Y_0), fl(α_j·d_i,0), b_j) then
/// + fma(float(Y_g), fl(α_j·d_i,g), 0) in group order (float); `fake` = Σ_g of the float64 fake-quant forward and
/// `magnitude` its Σ |terms| + |b_j| (the scale of the 1e-5 bound). w_int is the whole [n, k] matrix.
struct SimQLinearResult {
  std::vector<float> exact;
  std::vector<double> fake, magnitude;
};
SimQLinearResult SimQLinear(const std::vector<float>& x, size_t m, size_t k, size_t n, size_t groups, SimGranularity g,
                            float clip, float amax, const std::vector<int8_t>& w_int, const std::vector<float>& alpha,
                            const std::vector<float>& bias);

/// A QLinear weight stored as `groups` packed column slices [n, k/groups] (act_groups) decoded into [n, k].
std::vector<int8_t> SimDecodeGroupedWeight(int weight_format, const uint8_t* packed, size_t n, size_t k, size_t groups);

/// QAttention (docs/quantization.md §7.4) on f32 q, k, v [batch, seq, hidden]; `mask` (may be null) holds the key
/// mask [batch, seq] as floats (1 keep, 0 masked; add_j = 0 for 1, else (1 − m)·mask_fill).
std::vector<float> SimQAttention(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                                 const std::vector<float>* mask, size_t batch, size_t seq, size_t hidden, size_t heads,
                                 float scale, float mask_fill, float clip);

/// Packed QLinear weights (docs/quantization.md §4 and §7.1: "T2 R4/K128", "I4 R4/K128", "I8 R4/K128") decoded
/// from their documented byte layout into signed values [n, k]. weight_format: 1 t2, 2 i4, 3 i8.
std::vector<int8_t> SimDecodePackedWeight(int weight_format, const uint8_t* packed, size_t n, size_t k);

/// A QEmbedding table in dense .qm storage (§7.3: t2 codes c = w + 1 at bits 2·(i%4); i4 two's-complement nibbles,
/// low = even element; i8 bytes) decoded to signed values. table_dtype: 2 t2, 4 i4, 8 i8 (bits per element).
std::vector<int8_t> SimDecodeDenseTable(int table_bits, const uint8_t* data, size_t count);

double SimGeluErf(double x);
double SimGeluTanh(double x);

}  // namespace qc::test
