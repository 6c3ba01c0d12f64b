// QLinear with per-embedding-group activation scales (act_groups, format 1.3) end to end against the independent
// simulation (quant_sim.h), for t2 / i4 / i8 weights packed by passes/weight_packing.h in column slices:
//  * the contract (exec/grouped_qlinear.h): each group's codes and dequant come from its own columns, y_0 =
//    fma(float(Y_0), fl(α_j·d_0), b_j), y_g = fma(float(Y_g), fl(α_j·d_g), +0), y = float sums in group order, then
//    the GELU epilogue: bit for bit, on 1 and 2 threads;
//  * error budget against float: |y − Σ_g Σ_k ŵ·x̂_g − b| <= 1e-5 · (Σ|ŵ x̂| + |b|) (the per-group analogue of
//    qlinear_test.cc's bound: a few float roundings after exact integer sums, one more per group add);
//  * what groups buy: with one outlier channel, grouped scales halve (at least) the error against the float product
//    x·Wᵀ that one scale per token gives;
//  * the writer refuses act_groups that do not divide K, static scales with groups, and a weight packed whole.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "ops/elementwise.h"
#include "passes/weight_packing.h"
#include "quant_harness.h"
#include "quant_sim.h"

namespace qc::test {
namespace {

struct GroupConfig {
  size_t m, k, n;
  int64_t groups;
  int bits;  // 2, 4, 8
  SimGranularity granularity;
  float clip;  // 0 = none
  bool per_row;
  bool bias;
  int epilogue;  // 0 none, 1 gelu_erf, 2 gelu_tanh
};

std::string Name(const GroupConfig& c) {
  return "m" + std::to_string(c.m) + " k" + std::to_string(c.k) + " n" + std::to_string(c.n) + " G" +
         std::to_string(c.groups) + " bits" + std::to_string(c.bits) + " g" +
         std::to_string(static_cast<int>(c.granularity)) + " clip" + std::to_string(c.clip) +
         (c.per_row ? " per_row" : " per_tensor") + (c.bias ? " bias" : "") + " epi" + std::to_string(c.epilogue);
}

ir::WeightBits BitsOf(int bits) {
  return bits == 2 ? ir::WeightBits::kTernary : bits == 4 ? ir::WeightBits::kInt4 : ir::WeightBits::kInt8;
}

// A QLinear [n, k] with act_groups from float weights, packed by the compressor's packer.
struct GroupedLinear {
  passes::PackedWeight packed;
  std::vector<float> bias;
  ir::Graph graph;
};

GroupedLinear BuildGroupedLinear(const GroupConfig& c, const std::vector<float>& w, uint64_t seed) {
  GroupedLinear g;
  g.packed = Must(passes::PackLinearWeight(
      w.data(), static_cast<int64_t>(c.n), static_cast<int64_t>(c.k), BitsOf(c.bits),
      c.per_row ? ir::WeightGranularity::kPerRow : ir::WeightGranularity::kPerTensor, c.groups));
  if (c.bias) g.bias = RandomFloats(c.n, -0.5f, 0.5f, seed);
  ir::GraphBuilder b;
  const auto x = Must(b.AddInput("x", ir::DType::kF32, {"batch", static_cast<int64_t>(c.k)}));
  const auto weight = Must(b.AddConstant(
      "fc.weight",
      Must(ir::Tensor::FromVector<uint8_t>({static_cast<int64_t>(g.packed.bytes.size())}, g.packed.bytes))));
  const auto scale = Must(b.AddConstant(
      "fc.w_scale",
      Must(ir::Tensor::FromVector<float>({static_cast<int64_t>(g.packed.scales.size())}, g.packed.scales))));
  std::vector<ir::ValueId> inputs = {x, weight, scale};
  if (c.bias) {
    inputs.push_back(
        Must(b.AddConstant("fc.bias", Must(ir::Tensor::FromVector<float>({static_cast<int64_t>(c.n)}, g.bias)))));
  }
  ir::Attributes attrs = QLinearAttrs(c.n, c.k, static_cast<int64_t>(c.granularity), c.clip, 0, c.epilogue);
  attrs.Set(ir::AttrName::kWeightFormat, static_cast<int64_t>(g.packed.format));
  if (c.groups > 1) attrs.Set(ir::AttrName::kActGroups, c.groups);
  const auto y = Must(b.AddOp(ir::OpType::kQLinear, "fc", inputs, std::move(attrs)));
  REQUIRE(b.MarkOutput(y, "y").ok());
  g.graph = Must(std::move(b).Build());
  return g;
}

// The contract from the simulation, the weight decoded from its documented slice layouts.
SimQLinearResult Simulate(const GroupConfig& c, const GroupedLinear& g, const std::vector<float>& x) {
  const auto groups = static_cast<size_t>(c.groups);
  const std::vector<int8_t> w_int =
      SimDecodeGroupedWeight(static_cast<int>(g.packed.format), g.packed.bytes.data(), c.n, c.k, groups);
  SimQLinearResult e = SimQLinear(x, c.m, c.k, c.n, groups, c.granularity, c.clip, 0, w_int, g.packed.scales, g.bias);
  for (size_t o = 0; o < e.exact.size(); ++o) {
    if (c.epilogue == 1) {
      GeluErf(&e.exact[o], 1, &e.exact[o]);
      e.fake[o] = SimGeluErf(e.fake[o]);
    } else if (c.epilogue == 2) {
      GeluTanh(&e.exact[o], 1, &e.exact[o]);
      e.fake[o] = SimGeluTanh(e.fake[o]);
    }
  }
  return e;
}

void CheckGroupConfig(const GroupConfig& c, uint64_t seed) {
  CAPTURE(Name(c));
  const std::vector<float> w = RandomFloats(c.n * c.k, -1.0f, 1.0f, seed);
  const GroupedLinear g = BuildGroupedLinear(c, w, seed + 1);
  std::vector<float> x = RandomFloats(c.m * c.k, -3.0f, 3.0f, seed + 2);
  x[c.k / 2] = 40.0f;  // an outlier channel value in one group of row 0
  if (c.m > 2) {
    std::fill(x.begin() + static_cast<std::ptrdiff_t>(c.k), x.begin() + static_cast<std::ptrdiff_t>(2 * c.k), 0.0f);
  }
  const SimQLinearResult e = Simulate(c, g, x);
  const std::vector<NamedTensor> feeds = {
      {"x", HostTensor::Float32({static_cast<int64_t>(c.m), static_cast<int64_t>(c.k)}, x)}};
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    const auto out = Must(RunIrGraph(g.graph, feeds, threads));
    REQUIRE(out.size() == 1);
    const std::vector<float>& got = out[0].tensor.floats;
    REQUIRE(got.size() == c.m * c.n);
    int exact_mismatches = 0, bound_failures = 0;
    for (size_t o = 0; o < got.size(); ++o) {
      if (got[o] != e.exact[o]) ++exact_mismatches;
      const double bound = (c.epilogue != 0 ? 2e-5 : 1e-5) * e.magnitude[o];
      if (!(std::fabs(got[o] - e.fake[o]) <= bound + 1e-30)) ++bound_failures;
    }
    CHECK(exact_mismatches == 0);
    CHECK(bound_failures == 0);
  }
}

}  // namespace

TEST_CASE("grouped QLinear matches the simulation for t2, i4 and i8 across group widths, scales and epilogues") {
  const SimGranularity tok = SimGranularity::kPerToken, ten = SimGranularity::kPerTensor;
  const std::vector<GroupConfig> configs = {
      {3, 384, 12, 3, 2, tok, 2.5f, false, true, 0},  // 128-column groups: no padding
      {5, 384, 9, 6, 2, tok, 0, true, true, 1},       // 64-column groups, padded to a block
      {7, 258, 17, 2, 2, ten, 0, true, false, 0},     // 129 columns: a group spills into a second block
      {33, 256, 65, 4, 2, tok, 2.5f, true, true, 2},  // row tiles and several column tiles
      {1, 6, 3, 6, 2, tok, 0, false, false, 0},       // one column per group
      {4, 384, 8, 3, 4, tok, 2.5f, true, true, 0},   {6, 200, 5, 2, 8, ten, 0, true, true, 1},
      {9, 1536, 7, 3, 8, tok, 0, true, false, 0},  // FFN-output width
  };
  uint64_t seed = 500;
  for (const GroupConfig& c : configs) CheckGroupConfig(c, seed += 10);
}

TEST_CASE("per-group scales shrink the error an outlier channel causes under one scale per token") {
  // x has one outlier channel (|x| = 60 at column 5 of every row), the rest in [-1, 1): with one scale per token the
  // other 383 channels get a 60/127 grid; with 3 groups only the outlier's group does.
  const size_t m = 8, k = 384, n = 16;
  const std::vector<float> w = RandomFloats(n * k, -1.0f, 1.0f, 71);
  std::vector<float> x = RandomFloats(m * k, -1.0f, 1.0f, 72);
  for (size_t i = 0; i < m; ++i) x[i * k + 5] = (i % 2 == 0 ? 60.0f : -60.0f);
  const std::vector<NamedTensor> feeds = {
      {"x", HostTensor::Float32({static_cast<int64_t>(m), static_cast<int64_t>(k)}, x)}};
  double err[2] = {0, 0};
  for (int variant = 0; variant < 2; ++variant) {
    const GroupConfig c{m, k, n, variant == 0 ? 1 : 3, 2, SimGranularity::kPerToken, 0, true, false, 0};
    const GroupedLinear g = BuildGroupedLinear(c, w, 73);
    const auto out = Must(RunIrGraph(g.graph, feeds));
    // The float product x·Ŵᵀ with the same quantized weights (only the activation quantization differs).
    const std::vector<int8_t> w_int = SimDecodeGroupedWeight(static_cast<int>(g.packed.format), g.packed.bytes.data(),
                                                             n, k, static_cast<size_t>(c.groups));
    std::vector<double> ref(m * n, 0.0);
    for (size_t i = 0; i < m; ++i) {
      for (size_t j = 0; j < n; ++j) {
        for (size_t t = 0; t < k; ++t)
          ref[i * n + j] += static_cast<double>(w_int[j * k + t]) * g.packed.scales[j] * x[i * k + t];
      }
    }
    for (size_t o = 0; o < m * n; ++o) {
      const double d = out[0].tensor.floats[o] - ref[o];
      err[variant] += d * d;
    }
  }
  CAPTURE(err[0]);
  CAPTURE(err[1]);
  CHECK(err[1] > 0);
  CHECK(err[1] * 2 < err[0]);
}

TEST_CASE("the writer refuses act_groups that do not divide K, static scales with groups, and whole packing") {
  const size_t k = 384, n = 8;
  const std::vector<float> w = RandomFloats(n * k, -1.0f, 1.0f, 91);
  GroupConfig c{2, k, n, 3, 2, SimGranularity::kPerToken, 0, true, false, 0};
  GroupedLinear g = BuildGroupedLinear(c, w, 92);
  REQUIRE(ExportAndLoad(g.graph).ok());

  auto with_attr = [&](ir::AttrName name, ir::AttrValue value) {
    ir::Graph copy = g.graph;
    for (ir::NodeId id = 0; id < copy.num_nodes(); ++id) {
      if (copy.node(id).op == ir::OpType::kQLinear) copy.mutable_node(id).attributes.Set(name, value);
    }
    return ExportAndLoad(copy).status();
  };
  const Status not_dividing = with_attr(ir::AttrName::kActGroups, int64_t{5});
  CHECK_FALSE(not_dividing.ok());
  CHECK(not_dividing.message().find("act_groups") != std::string::npos);
  const Status static_groups = with_attr(ir::AttrName::kActGroups, int64_t{3});
  CHECK(static_groups.ok());  // the same attribute value: fine
  ir::Graph static_graph = g.graph;
  for (ir::NodeId id = 0; id < static_graph.num_nodes(); ++id) {
    if (static_graph.node(id).op != ir::OpType::kQLinear) continue;
    static_graph.mutable_node(id).attributes.Set(ir::AttrName::kActGranularity, int64_t{3});
    static_graph.mutable_node(id).attributes.Set(ir::AttrName::kActAmax, 2.0);
  }
  const Status static_status = ExportAndLoad(static_graph).status();
  CHECK_FALSE(static_status.ok());
  CHECK(static_status.message().find("act_groups") != std::string::npos);

  // A weight packed as one [n, k] matrix (3 blocks per row group) is not six [n, k/6] slices (one padded block each).
  GroupedLinear whole =
      BuildGroupedLinear(GroupConfig{2, k, n, 1, 2, SimGranularity::kPerToken, 0, true, false, 0}, w, 92);
  for (ir::NodeId id = 0; id < whole.graph.num_nodes(); ++id) {
    if (whole.graph.node(id).op == ir::OpType::kQLinear) {
      whole.graph.mutable_node(id).attributes.Set(ir::AttrName::kActGroups, int64_t{6});
    }
  }
  const Status whole_status = ExportAndLoad(whole.graph).status();
  CHECK_FALSE(whole_status.ok());
  CHECK(whole_status.message().find("u8[") != std::string::npos);
}

}  // namespace qc::test
