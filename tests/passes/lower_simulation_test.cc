// lower_quantized against an independent float simulation of the quantized semantics (docs/quantization.md §2, §3
// and "Quantized ops"): TWN and int8 activation quantization re-derived here from their formulas, then
// y = Σ_k ŵ[j,k]·x̂[i,k] + b[j] in double. The runtime must agree within a few float roundings of the sum, and
// QEmbedding must equal α_v·(c − 1) exactly. Shapes cross the kernels' tile edges (N not a multiple of 4, K not a
// multiple of 128).
#include <doctest/doctest.h>

#include <cmath>

#include "ir/builder.h"
#include "ir/rewriter.h"
#include "pass_test_util.h"
#include "passes/lower_quantized.h"

using namespace qc;
using namespace qc::passes;
using namespace qc::passes::test;

namespace {

// TWN over one group (docs/quantization.md §2), clip 2.5: returns α and writes the ternary values t ∈ {-1, 0, 1}.
float TwnReference(const float* w, size_t count, int* t) {
  // Sums in double over 8 partials by position (i mod 8), added in lane order.
  double part[8] = {};
  for (size_t i = 0; i < count; ++i) part[i % 8] += std::fabs(std::min(std::max(w[i], -2.5f), 2.5f));
  double sum = 0;
  for (double p : part) sum += p;
  const float delta = 0.7f * static_cast<float>(sum / static_cast<double>(count));
  double kept_part[8] = {};
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    const float wc = std::min(std::max(w[i], -2.5f), 2.5f);
    t[i] = wc > delta ? 1 : (wc < -delta ? -1 : 0);
    if (std::fabs(wc) > delta) {
      kept_part[i % 8] += std::fabs(wc);
      ++kept;
    }
  }
  double kept_sum = 0;
  for (double p : kept_part) kept_sum += p;
  return kept == 0 ? 0.0f : static_cast<float>(kept_sum / static_cast<double>(kept));
}

// Symmetric int8 fake quantization of one group (docs/quantization.md §3): x̂ = q·d.
void FakeQuantize(const float* x, size_t count, float clip, double* xhat) {
  float amax = 0;
  for (size_t i = 0; i < count; ++i) amax = std::max(amax, std::fabs(std::min(std::max(x[i], -clip), clip)));
  const float s = amax > 0 ? 127.0f / amax : 0.0f;
  const float d = amax > 0 ? amax / 127.0f : 0.0f;
  for (size_t i = 0; i < count; ++i) {
    const float xc = std::min(std::max(x[i], -clip), clip);
    const float q = std::min(127.0f, std::max(-127.0f, std::nearbyint(xc * s)));
    xhat[i] = static_cast<double>(q) * d;
  }
}

// Symmetric int8 / int4 weights of one group (docs/quantization.md §7.1): codes round(w·qmax/amax), α = amax/qmax.
float IntReference(const float* w, size_t count, int qmax, int* t) {
  float amax = 0;
  for (size_t i = 0; i < count; ++i) amax = std::max(amax, std::fabs(w[i]));
  const float s = amax > 0 ? static_cast<float>(qmax) / amax : 0.0f;
  for (size_t i = 0; i < count; ++i) {
    const float v = std::nearbyint(w[i] * s);
    t[i] = static_cast<int>(std::min(static_cast<float>(qmax), std::max(static_cast<float>(-qmax), v)));
  }
  return amax > 0 ? amax / static_cast<float>(qmax) : 0.0f;
}

struct Case {
  ir::WeightGranularity granularity;
  ir::ActivationMode mode;
  std::optional<double> clip;
  ir::WeightBits bits = ir::WeightBits::kTernary;
};

void CheckLinear(const Case& c, int64_t m, int64_t n, int64_t k) {
  CAPTURE(ir::WeightGranularityName(c.granularity));
  CAPTURE(ir::ActivationModeName(c.mode));
  CAPTURE(c.clip.value_or(0));
  CAPTURE(n);
  CAPTURE(k);
  ir::GraphBuilder b;
  const ir::ValueId x = Must(b.AddInput("x", ir::DType::kF32, {"batch", k}));
  const ir::ValueId w = ir::test::AddWeight(b, "w", {n, k}, 7);
  const ir::ValueId bias = ir::test::AddWeight(b, "b", {n}, 8);
  const ir::ValueId y = Must(b.AddOp(ir::OpType::kLinear, "fc", {x, w, bias}));
  REQUIRE(b.MarkOutput(y, "y").ok());
  ir::Graph g = Must(std::move(b).Build());
  ir::QuantAnnotation q;
  q.weight = ir::WeightQuant{c.bits, c.granularity, 0};
  q.activation = ir::ActivationQuant{ir::ActivationBits::kInt8, c.mode, c.clip};
  REQUIRE(ir::Rewriter(g).SetQuant(g.nodes().size() - 1, q).ok());
  PassContext context;
  auto lower = MakeLowerQuantizedPass();
  REQUIRE(RunPassOk(*lower, g, context));

  std::vector<float> xs = ir::test::Weights(static_cast<size_t>(m * k), 11);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] *= 3.0f + static_cast<float>(i % 5);  // beyond a 2.5 clip
  const auto out = RunGraph(g, {{"x", HostTensor::Float32({m, k}, xs)}});
  REQUIRE(out[0].tensor.shape == std::vector<int64_t>{m, n});

  // The simulation.
  const std::vector<float> wv = ir::test::Weights(static_cast<size_t>(n * k), 7);
  const std::vector<float> bv = ir::test::Weights(static_cast<size_t>(n), 8);
  std::vector<int> t(static_cast<size_t>(n * k));
  std::vector<float> alpha(static_cast<size_t>(n));
  const int qmax = c.bits == ir::WeightBits::kInt8 ? 127 : 7;
  auto weights = [&](const float* src, size_t count, int* codes) {
    return c.bits == ir::WeightBits::kTernary ? TwnReference(src, count, codes)
                                              : IntReference(src, count, qmax, codes);
  };
  if (c.granularity == ir::WeightGranularity::kPerTensor) {
    alpha.assign(static_cast<size_t>(n), weights(wv.data(), wv.size(), t.data()));
  } else {
    for (int64_t j = 0; j < n; ++j) alpha[j] = weights(&wv[j * k], static_cast<size_t>(k), &t[j * k]);
  }
  const float clip = c.clip ? static_cast<float>(*c.clip) : INFINITY;
  std::vector<double> xhat(xs.size());
  if (c.mode == ir::ActivationMode::kDynamicPerTensor) {
    FakeQuantize(xs.data(), xs.size(), clip, xhat.data());
  } else {
    for (int64_t i = 0; i < m; ++i) FakeQuantize(&xs[i * k], static_cast<size_t>(k), clip, &xhat[i * k]);
  }
  double worst = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = bv[j], magnitude = std::fabs(bv[j]);
      for (int64_t kk = 0; kk < k; ++kk) {
        const double term = static_cast<double>(alpha[j]) * t[j * k + kk] * xhat[i * k + kk];
        sum += term;
        magnitude += std::fabs(term);
      }
      const double got = out[0].tensor.floats[i * n + j];
      const double bar = 4 * 6e-8 * magnitude + 1e-30;
      worst = std::max(worst, std::fabs(got - sum) / bar);
      CHECK_MESSAGE(std::fabs(got - sum) <= bar, "y[" << i << "," << j << "] = " << got << ", simulation " << sum);
    }
  }
  CHECK(worst <= 1.0);
}

}  // namespace

TEST_CASE("QLinear (t2) matches the float simulation across granularities, clips and tile edges") {
  for (const Case& c : {Case{ir::WeightGranularity::kPerTensor, ir::ActivationMode::kDynamicPerToken, std::nullopt},
                        Case{ir::WeightGranularity::kPerRow, ir::ActivationMode::kDynamicPerToken, 2.5},
                        Case{ir::WeightGranularity::kPerTensor, ir::ActivationMode::kDynamicPerTensor, std::nullopt},
                        Case{ir::WeightGranularity::kPerRow, ir::ActivationMode::kDynamicPerTensor, 2.5}}) {
    CheckLinear(c, 3, 6, 200);
    CheckLinear(c, 5, 4, 128);
    CheckLinear(c, 1, 9, 1);
  }
}

TEST_CASE("QLinear (i8, i4) matches the float simulation across granularities, clips and tile edges") {
  for (ir::WeightBits bits : {ir::WeightBits::kInt8, ir::WeightBits::kInt4}) {
    CAPTURE(ir::WeightBitsName(bits));
    for (const Case& c :
         {Case{ir::WeightGranularity::kPerRow, ir::ActivationMode::kDynamicPerToken, std::nullopt, bits},
          Case{ir::WeightGranularity::kPerTensor, ir::ActivationMode::kDynamicPerToken, 2.5, bits},
          Case{ir::WeightGranularity::kPerRow, ir::ActivationMode::kDynamicPerTensor, 2.5, bits}}) {
      CheckLinear(c, 3, 6, 200);
      CheckLinear(c, 5, 4, 128);
      CheckLinear(c, 1, 9, 1);
      CheckLinear(c, 2, 5, 4099);
    }
  }
}

TEST_CASE("QEmbedding (t2, row-wise) equals alpha_v * (c - 1) exactly") {
  constexpr int64_t kV = 13, kE = 7;  // 91 codes: the dense storage ends mid-byte
  ir::GraphBuilder b;
  const ir::ValueId ids = Must(b.AddInput("input_ids", ir::DType::kI64, {"batch", "sequence"}));
  const ir::ValueId table = ir::test::AddWeight(b, "table", {kV, kE}, 5);
  const ir::ValueId y = Must(b.AddOp(ir::OpType::kEmbedding, "emb", {ids, table}));
  REQUIRE(b.MarkOutput(y, "y").ok());
  ir::Graph g = Must(std::move(b).Build());
  ir::QuantAnnotation q;
  q.weight = ir::WeightQuant{ir::WeightBits::kTernary, ir::WeightGranularity::kPerRow, 0};
  REQUIRE(ir::Rewriter(g).SetQuant(0, q).ok());
  PassContext context;
  auto lower = MakeLowerQuantizedPass();
  REQUIRE(RunPassOk(*lower, g, context));
  REQUIRE(context.layers.size() == 1);
  CHECK(context.layers[0].bytes_after == (kV * kE + 3) / 4 + kV * 4);

  std::vector<int64_t> id_values;
  for (int64_t i = 0; i < 2 * kV; ++i) id_values.push_back((i * 5) % kV);
  const auto out = RunGraph(g, {{"input_ids", HostTensor::Int64({2, kV}, id_values)}});
  const std::vector<float> tv = ir::test::Weights(kV * kE, 5);
  for (size_t i = 0; i < id_values.size(); ++i) {
    const auto v = static_cast<size_t>(id_values[i]);
    int t[kE];
    const float alpha = TwnReference(&tv[v * kE], kE, t);
    for (int64_t e = 0; e < kE; ++e) {
      const float want = t[e] == 1 ? alpha : (t[e] == -1 ? -alpha : 0.0f);
      CHECK(out[0].tensor.floats[i * kE + e] == want);
    }
  }
}
