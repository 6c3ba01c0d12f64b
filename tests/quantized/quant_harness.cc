#include <doctest/doctest.h>

#include "quant_harness.h"

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>

#include "exporters/qm/from_ir.h"
#include "quant/t2_pack.h"
#include "quant/twn.h"

namespace qc::test {

std::vector<float> RandomFloats(size_t count, float lo, float hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

TernaryWeights MakeTernaryWeights(size_t n, size_t k, bool per_row, uint64_t seed) {
  TernaryWeights t;
  t.n = n;
  t.k = k;
  const std::vector<float> w = RandomFloats(n * k, -1.0f, 1.0f, seed);
  std::vector<uint8_t> codes(n * k);
  const TwnGranularity g = per_row ? TwnGranularity::kPerRow : TwnGranularity::kPerTensor;
  t.alpha.resize(TwnScaleCount(n, g));
  REQUIRE(TernarizeTwn(w.data(), n, k, k, {g, kTwnDefaultClip}, codes.data(), k, t.alpha.data()).ok());
  t.w_int.resize(n * k);
  for (size_t i = 0; i < n * k; ++i) t.w_int[i] = static_cast<int8_t>(int{codes[i]} - 1);
  t.packed.resize(T2PackedBytes(n, k));
  REQUIRE(PackT2(codes.data(), n, k, k, t.packed.data(), t.packed.size()).ok());
  return t;
}

ir::Attributes QLinearAttrs(size_t n, size_t k, int64_t granularity, double clip, double amax, int64_t epilogue) {
  return {{ir::AttrName::kWeightFormat, int64_t{1}},
          {ir::AttrName::kInFeatures, static_cast<int64_t>(k)},
          {ir::AttrName::kOutFeatures, static_cast<int64_t>(n)},
          {ir::AttrName::kActGranularity, granularity},
          {ir::AttrName::kActClip, clip},
          {ir::AttrName::kActAmax, amax},
          {ir::AttrName::kEpilogue, epilogue}};
}

ir::ValueId AddQLinear(ir::GraphBuilder& b, const std::string& name, ir::ValueId x, const TernaryWeights& w,
                       const std::vector<float>& bias, ir::Attributes attrs) {
  const auto weight = Must(b.AddConstant(
      name + ".weight", Must(ir::Tensor::FromVector<uint8_t>({static_cast<int64_t>(w.packed.size())}, w.packed))));
  const auto scale = Must(b.AddConstant(
      name + ".w_scale", Must(ir::Tensor::FromVector<float>({static_cast<int64_t>(w.alpha.size())}, w.alpha))));
  std::vector<ir::ValueId> inputs = {x, weight, scale};
  if (!bias.empty()) {
    inputs.push_back(Must(
        b.AddConstant(name + ".bias", Must(ir::Tensor::FromVector<float>({static_cast<int64_t>(bias.size())}, bias)))));
  }
  return Must(b.AddOp(ir::OpType::kQLinear, name, inputs, std::move(attrs)));
}

std::string TempQmPath() {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("qc_quantized_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + ".qm"))
      .string();
}

Expected<std::shared_ptr<const Model>> ExportAndLoad(const ir::Graph& graph) {
  const std::string path = TempQmPath();
  qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress-test";
  const Status exported = ExportQm(graph, provenance, path);
  if (!exported.ok()) return exported;
  auto model = Model::Load(path);
  std::remove(path.c_str());  // the mapping stays valid after unlink
  return model;
}

Expected<std::vector<NamedTensor>> RunIrGraph(const ir::Graph& graph, const std::vector<NamedTensor>& inputs,
                                              int threads) {
  QC_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, ExportAndLoad(graph));
  SessionOptions options;
  if (threads > 0) options.num_threads = threads;
  QC_ASSIGN_OR_RETURN(Session session, Session::Create(model, options));
  return session.Run(inputs);
}

}  // namespace qc::test
