// A .qm Attention / QAttention without mask_fill (our exporter always writes it; another writer may not) must mask
// with the IR's default (-10000, docs/ir.md), not with 0, which would leave masked keys fully attended.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "exporters/qm/from_ir.h"
#include "exporters/qm/qm_writer.h"
#include "quant_harness.h"

namespace qc::test {
namespace {

// Every key row is the same, so scores are equal, so the output is the mean of the kept keys' values. Key 1 is masked.
std::vector<float> RunWithoutMaskFill(ir::OpType op) {
  ir::GraphBuilder b;
  const auto q = Must(b.AddInput("q", ir::DType::kF32, {1, 2, 4}));
  const auto k = Must(b.AddInput("k", ir::DType::kF32, {1, 2, 4}));
  const auto v = Must(b.AddInput("v", ir::DType::kF32, {1, 2, 4}));
  const auto mask = Must(b.AddInput("mask", ir::DType::kI64, {1, 2}));
  const auto y = Must(b.AddOp(op, "attention", {q, k, v, mask},
                              {{ir::AttrName::kNumHeads, int64_t{1}}, {ir::AttrName::kScale, 0.5}}, "y"));
  REQUIRE(b.MarkOutput(y, "y").ok());
  const ir::Graph graph = Must(std::move(b).Build());
  const std::vector<float> ones(8, 1.0f);
  const std::vector<float> values = {1, 2, 3, 4, -4, -3, -2, -1};
  qm::QmModelSpec spec = Must(BuildQmSpec(graph, qm::ProvenanceSpec{}));
  for (auto& spec_op : spec.ops) {
    spec_op.attrs.erase(std::remove_if(spec_op.attrs.begin(), spec_op.attrs.end(),
                                       [](const auto& a) { return a.key == qm::AttrKey::mask_fill; }),
                        spec_op.attrs.end());
  }
  const std::string path = TempQmPath();
  REQUIRE(qm::WriteQmFile(spec, path).ok());
  auto model = Model::Load(path);
  std::remove(path.c_str());
  REQUIRE_MESSAGE(model.ok(), model.status().ToString());
  auto session = Must(Session::Create(*model));
  const auto out = Must(session.Run({{"q", HostTensor::Float32({1, 2, 4}, ones)},
                                     {"k", HostTensor::Float32({1, 2, 4}, ones)},
                                     {"v", HostTensor::Float32({1, 2, 4}, values)},
                                     {"mask", HostTensor::Int64({1, 2}, {1, 0})}}));
  REQUIRE(out.size() == 1);
  return out[0].tensor.floats;
}

}  // namespace

TEST_CASE("Attention without mask_fill masks keys with the IR default") {
  const std::vector<float> y = RunWithoutMaskFill(ir::OpType::kAttention);
  REQUIRE(y.size() == 8);
  // Both queries see only key 0: exp(-10000) underflows to 0,, so exactly key 0's values.
  for (int t = 0; t < 2; ++t) {
    for (int e = 0; e < 4; ++e) CHECK(y[static_cast<size_t>(t * 4 + e)] == static_cast<float>(e + 1));
  }
}

TEST_CASE("QAttention without mask_fill masks keys with the IR default") {
  const std::vector<float> y = RunWithoutMaskFill(ir::OpType::kQAttention);
  REQUIRE(y.size() == 8);
  // int8 V codes (amax 4) and P codes: within a few V steps (4/127) of key 0's values, far from the unmasked
  // average of the two keys (-1.5, -0.5, 0.5, 1.5).
  for (int t = 0; t < 2; ++t) {
    for (int e = 0; e < 4; ++e) CHECK(std::fabs(y[static_cast<size_t>(t * 4 + e)] - static_cast<float>(e + 1)) < 0.1f);
  }
}

}  // namespace qc::test
