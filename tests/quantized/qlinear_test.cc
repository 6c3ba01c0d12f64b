// QLinear (t2) end to end against the independent simulation (quant_sim.h):
//  * exposed int8 codes: with an identity ternary weight (α = 1, no bias) y[i, j] = fl(q[i, j] · d_i), so the
//    runtime's codes and dequant factors are observable and must equal the simulation's exactly;
//  * the contract formula: y = fma(float(Y_int), fl(α_j · d_i), b_j) (+ GELU with the runtime's scalar GELU), with
//    Y_int computed exactly by the simulation, must match bit for bit;
//  * the fake-quant float64 forward Σ ŵ·x̂ + b: |y − y_fq| <= 1e-5 · (Σ_k |ŵ x̂| + |b|). Why this bound: the runtime
//    result has three float roundings after the exact integer sum (int -> float, α·d, the fma), each <= 2^-24
//    relative to a quantity bounded by Σ|ŵ x̂| + |b|, i.e. <= 2e-7 of that scale; 1e-5 leaves 50x margin while an
//    off-by-one code (>= d_i·α_j ≈ 1/127 of the row scale) would exceed it. The scale is the sum of magnitudes, not
//    |y|, because y may cancel to ~0. After GELU (|GELU'| <= 1.13) the bound is 2e-5 · scale.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "ops/elementwise.h"
#include "quant_harness.h"
#include "quant/t2_pack.h"
#include "quant_sim.h"

namespace qc::test {
namespace {

struct Config {
  size_t m, k, n;
  SimGranularity granularity;
  float clip;  // 0 = none
  float amax;  // static only
  bool per_row;
  bool bias;
  int epilogue;  // 0 none, 1 gelu_erf, 2 gelu_tanh
};

std::string Name(const Config& c) {
  return "m" + std::to_string(c.m) + " k" + std::to_string(c.k) + " n" + std::to_string(c.n) + " g" +
         std::to_string(static_cast<int>(c.granularity)) + " clip" + std::to_string(c.clip) + " amax" +
         std::to_string(c.amax) + (c.per_row ? " per_row" : " per_tensor") + (c.bias ? " bias" : "") + " epi" +
         std::to_string(c.epilogue);
}

void CheckConfig(const Config& c, uint64_t seed) {
  CAPTURE(Name(c));
  const TernaryWeights w = MakeTernaryWeights(c.n, c.k, c.per_row, seed);
  const std::vector<float> bias = c.bias ? RandomFloats(c.n, -0.5f, 0.5f, seed + 1) : std::vector<float>{};
  std::vector<float> x = RandomFloats(c.m * c.k, -3.0f, 3.0f, seed + 2);
  if (c.m > 2) std::fill(x.begin() + static_cast<std::ptrdiff_t>(c.k), x.begin() + static_cast<std::ptrdiff_t>(2 * c.k),
                         0.0f);  // an all-zero row: d = 0, output = bias

  ir::GraphBuilder b;
  const auto xin = Must(b.AddInput("x", ir::DType::kF32, {"batch", static_cast<int64_t>(c.k)}));
  const auto y = AddQLinear(b, "fc", xin, w, bias,
                            QLinearAttrs(c.n, c.k, static_cast<int64_t>(c.granularity), c.clip, c.amax, c.epilogue));
  REQUIRE(b.MarkOutput(y, "y").ok());
  const ir::Graph graph = Must(std::move(b).Build());
  const auto out = Must(RunIrGraph(graph, {{"x", HostTensor::Float32({static_cast<int64_t>(c.m), static_cast<int64_t>(c.k)}, x)}}));
  REQUIRE(out.size() == 1);
  const std::vector<float>& got = out[0].tensor.floats;
  REQUIRE(got.size() == c.m * c.n);
  CHECK(out[0].tensor.shape == std::vector<int64_t>{static_cast<int64_t>(c.m), static_cast<int64_t>(c.n)});

  const SimActs acts = SimQuantizeActs(x, c.m, c.k, c.granularity, c.clip, c.amax);
  const std::vector<int64_t> y_int = SimIntProduct(acts.q, w.w_int, c.m, c.k, c.n);
  std::vector<double> magnitude;
  const std::vector<double> fq = SimFakeQuantLinear(acts, w.w_int, w.alpha, bias, c.m, c.k, c.n, &magnitude);
  int exact_mismatches = 0, bound_failures = 0;
  for (size_t i = 0; i < c.m; ++i) {
    for (size_t j = 0; j < c.n; ++j) {
      const size_t o = i * c.n + j;
      const float alpha = w.alpha.size() == 1 ? w.alpha[0] : w.alpha[j];
      float want = std::fma(static_cast<float>(y_int[o]), alpha * acts.d[i], c.bias ? bias[j] : 0.0f);
      double want_fq = fq[o];
      double bound = 1e-5 * magnitude[o];
      if (c.epilogue == 1) {
        GeluErf(&want, 1, &want);
        want_fq = SimGeluErf(want_fq);
        bound *= 2;
      } else if (c.epilogue == 2) {
        GeluTanh(&want, 1, &want);
        want_fq = SimGeluTanh(want_fq);
        bound *= 2;
      }
      if (got[o] != want) ++exact_mismatches;
      if (!(std::fabs(got[o] - want_fq) <= bound + 1e-30)) ++bound_failures;
    }
  }
  CHECK(exact_mismatches == 0);
  CHECK(bound_failures == 0);
}

}  // namespace

TEST_CASE("QLinear t2 matches the simulation across tile edges, granularities, clips and epilogues") {
  const SimGranularity tok = SimGranularity::kPerToken, ten = SimGranularity::kPerTensor,
                       sta = SimGranularity::kStatic;
  const std::vector<Config> configs = {
      {1, 1, 1, tok, 0, 0, true, false, 0},        {3, 127, 5, tok, 0, 0, true, true, 0},
      {4, 128, 4, tok, 2.5f, 0, false, true, 0},   {7, 129, 17, ten, 0, 0, true, true, 0},
      {5, 256, 8, ten, 2.5f, 0, true, false, 1},   {2, 300, 3, sta, 0, 2.0f, true, true, 0},
      {6, 200, 9, sta, 1.5f, 2.75f, false, true, 2}, {16, 384, 12, tok, 2.5f, 0, true, true, 1},
      {33, 130, 65, tok, 0, 0, true, true, 0},     {3, 64, 31, ten, 0, 0, false, false, 2},
  };
  uint64_t seed = 100;
  for (const Config& c : configs) CheckConfig(c, seed += 10);
}

TEST_CASE("QLinear exposes identical int8 codes and dequant factors through an identity weight") {
  // W = I (ternary codes 2 on the diagonal), α = 1, no bias: y[i, j] = fma(q[i, j], 1 · d_i, 0) = fl(q · d).
  for (SimGranularity g : {SimGranularity::kPerToken, SimGranularity::kPerTensor, SimGranularity::kStatic}) {
    for (float clip : {0.0f, 2.5f}) {
      const size_t m = 5, k = 130;
      CAPTURE(static_cast<int>(g));
      CAPTURE(clip);
      TernaryWeights w;
      w.n = w.k = k;
      w.w_int.assign(k * k, 0);
      std::vector<uint8_t> codes(k * k, 1);
      for (size_t j = 0; j < k; ++j) w.w_int[j * k + j] = 1, codes[j * k + j] = 2;
      w.alpha = {1.0f};
      w.packed.resize(T2PackedBytes(k, k));
      REQUIRE(PackT2(codes.data(), k, k, k, w.packed.data(), w.packed.size()).ok());
      std::vector<float> x = RandomFloats(m * k, -4.0f, 4.0f, 7);
      x[3] = 1000.0f;   // saturates under clip / static amax; sets the per-tensor scale otherwise
      x[k + 1] = -0.0f;
      for (size_t t = 0; t < k; ++t) x[2 * k + t] = 0.0f;  // all-zero row
      x[4 * k + 5] = 2.5f;                                    // exactly at the clip
      const float amax = 3.0f;
      ir::GraphBuilder b;
      const auto xin = Must(b.AddInput("x", ir::DType::kF32, {static_cast<int64_t>(m), static_cast<int64_t>(k)}));
      const auto y = AddQLinear(b, "id", xin, w, {},
                                QLinearAttrs(k, k, static_cast<int64_t>(g), clip,
                                             g == SimGranularity::kStatic ? amax : 0.0, 0));
      REQUIRE(b.MarkOutput(y, "y").ok());
      const ir::Graph graph = Must(std::move(b).Build());
      const auto out = Must(RunIrGraph(graph, {{"x", HostTensor::Float32({static_cast<int64_t>(m), static_cast<int64_t>(k)}, x)}}));
      const SimActs acts = SimQuantizeActs(x, m, k, g, clip, amax);
      int mismatches = 0, codes_recovered_differ = 0;
      for (size_t i = 0; i < m; ++i) {
        for (size_t j = 0; j < k; ++j) {
          const float got = out[0].tensor.floats[i * k + j];
          const float want = static_cast<float>(acts.q[i * k + j]) * acts.d[i];
          if (got != want) ++mismatches;
          // The code itself: q = y / d rounds back exactly (|q| <= 127, one rounding in y).
          const long q = acts.d[i] > 0 ? std::lrint(got / acts.d[i]) : 0;
          if (q != acts.q[i * k + j]) ++codes_recovered_differ;
        }
      }
      CHECK(mismatches == 0);
      CHECK(codes_recovered_differ == 0);
      // The large element saturates: 127, except static with a smaller clip (2.5 · 127/3 rounds to 106).
      CHECK(acts.q[3] == (g == SimGranularity::kStatic && clip > 0 ? 106 : 127));
      const float zero_row_d = g == SimGranularity::kStatic      ? amax / 127.0f
                               : g == SimGranularity::kPerTensor ? acts.d[0]
                                                                 : 0.0f;
      CHECK(acts.d[2] == zero_row_d);
    }
  }
}

}  // namespace qc::test

namespace qc::test {

TEST_CASE("one session reuses its quantization buffers across runs of different sizes") {
  const size_t k = 200, n = 9;
  const TernaryWeights w = MakeTernaryWeights(n, k, true, 77);
  ir::GraphBuilder b;
  const auto xin = Must(b.AddInput("x", ir::DType::kF32, {"batch", static_cast<int64_t>(k)}));
  const auto y = AddQLinear(b, "fc", xin, w, RandomFloats(n, -1, 1, 78), QLinearAttrs(n, k, 1, 0, 0, 0));
  REQUIRE(b.MarkOutput(y, "y").ok());
  const auto model = Must(ExportAndLoad(Must(std::move(b).Build())));
  Session reused = Must(Session::Create(model));
  for (size_t m : {7, 2, 11, 1, 7}) {
    CAPTURE(m);
    const std::vector<NamedTensor> feeds = {
        {"x", HostTensor::Float32({static_cast<int64_t>(m), static_cast<int64_t>(k)}, RandomFloats(m * k, -2, 2, m))}};
    Session fresh = Must(Session::Create(model));
    const auto a = Must(reused.Run(feeds));
    const auto f = Must(fresh.Run(feeds));
    CHECK(a[0].tensor.floats == f[0].tensor.floats);
    CHECK(a[0].tensor.floats.size() == m * n);
  }
}


TEST_CASE("QLinears sharing an input quantize it once only when their activation attributes agree") {
  // fc1 and fc2 read x with per-token quantization (the second reuses the first's codes); fc3 reads it with a clip,
  // fc4 per tensor: both must quantize again. Each output must equal the same QLinear alone in its own graph.
  const size_t k = 130, n = 5, m = 6;
  struct Fc {
    const char* name;
    int64_t granularity;
    double clip;
    uint64_t seed;
  };
  const std::vector<Fc> fcs = {{"fc1", 1, 0, 81}, {"fc2", 1, 0, 82}, {"fc3", 1, 0.5, 83}, {"fc4", 2, 0, 84}};
  const std::vector<NamedTensor> feeds = {
      {"x", HostTensor::Float32({static_cast<int64_t>(m), static_cast<int64_t>(k)}, RandomFloats(m * k, -2, 2, 80))}};
  ir::GraphBuilder shared;
  const auto xs = Must(shared.AddInput("x", ir::DType::kF32, {"batch", static_cast<int64_t>(k)}));
  for (const Fc& fc : fcs) {
    const TernaryWeights w = MakeTernaryWeights(n, k, true, fc.seed);
    const auto y = AddQLinear(shared, fc.name, xs, w, {}, QLinearAttrs(n, k, fc.granularity, fc.clip, 0, 0));
    REQUIRE(shared.MarkOutput(y, fc.name).ok());
  }
  const auto together = Must(RunIrGraph(Must(std::move(shared).Build()), feeds));
  REQUIRE(together.size() == fcs.size());
  for (size_t i = 0; i < fcs.size(); ++i) {
    CAPTURE(fcs[i].name);
    ir::GraphBuilder alone;
    const auto xa = Must(alone.AddInput("x", ir::DType::kF32, {"batch", static_cast<int64_t>(k)}));
    const TernaryWeights w = MakeTernaryWeights(n, k, true, fcs[i].seed);
    const auto y = AddQLinear(alone, fcs[i].name, xa, w, {}, QLinearAttrs(n, k, fcs[i].granularity, fcs[i].clip, 0, 0));
    REQUIRE(alone.MarkOutput(y, fcs[i].name).ok());
    const auto single = Must(RunIrGraph(Must(std::move(alone).Build()), feeds));
    CHECK(together[i].tensor.floats == single[0].tensor.floats);
  }
  // The clipped and per-tensor outputs really differ from the per-token one (the test would see a wrong reuse).
  CHECK(together[2].tensor.floats != together[0].tensor.floats);
}

}  // namespace qc::test
