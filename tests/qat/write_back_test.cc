// WriteBackWeights: trained parameters land in the graph's constants, and a model rebuilt from that graph computes
// exactly what the trained model computed.
#include "tests/qat/qat_test_util.h"
// clang-format off
#include <doctest/doctest.h>
// clang-format on

#include <memory>
#include <string>

#include "importers/hf/hf_importer.h"
#include "ir/rewriter.h"
#include "ir/verifier.h"
#include "qat/torch_model.h"
#include "tests/qat/synthetic_encoder.h"

namespace {

using qc::qat::test::BitIdentical;

std::unique_ptr<qc::qat::TorchModel> Model(const qc::ir::Graph& g) {
  auto m = qc::qat::TorchModel::Build(g);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return std::move(*m);
}

uint64_t ConstantHash(const qc::ir::Graph& g, const std::string& name) {
  auto v = g.FindValue(name);
  REQUIRE(v.ok());
  return g.value(*v).constant->ContentHash();
}

}  // namespace

TEST_CASE("perturb, write back, rebuild: identical forward") {
  auto imported = qc::hf::ImportHfDirectory(qc::qat::test::FixtureDir("hf/bert_tiny").string());
  REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
  qc::ir::Graph graph = std::move(imported->graph);
  auto inputs = qc::qat::test::ReadTensorDir(qc::qat::test::FixtureDir("hf/bert_tiny/reference"), "input_");
  REQUIRE(inputs.ok());

  auto model = Model(graph);
  const std::string query = "bert.encoder.layer.0.attention.self.query.weight";
  const uint64_t query_hash = ConstantHash(graph, query);
  const uint64_t value_hash = ConstantHash(graph, "bert.encoder.layer.0.attention.self.value.weight");
  const torch::Tensor before = (*model->Forward(*inputs)).outputs[0];

  // A "training step": perturb two parameters in place, as an optimizer would.
  {
    torch::NoGradGuard no_grad;
    model->Parameter(query)->add_(0.25);
    model->Parameter("classifier.bias")->mul_(-1);
  }
  const torch::Tensor trained = (*model->Forward(*inputs)).outputs[0];
  CHECK(qc::qat::test::MaxAbsDiff(trained, before) > 1e-3);

  REQUIRE(qc::qat::WriteBackWeights(*model, graph).ok());
  CHECK(qc::ir::Verify(graph).ok());
  CHECK(ConstantHash(graph, query) != query_hash);
  CHECK(ConstantHash(graph, "bert.encoder.layer.0.attention.self.value.weight") == value_hash);

  auto rebuilt = Model(graph);
  CHECK(BitIdentical((*rebuilt->Forward(*inputs)).outputs[0], trained));
  // The graph's tensors are owned copies: later training does not change them behind the exporter's back.
  {
    torch::NoGradGuard no_grad;
    model->Parameter(query)->add_(1.0);
  }
  CHECK(BitIdentical((*rebuilt->Forward(*inputs)).outputs[0], trained));
}

TEST_CASE("write back into a compacted graph matches by name; a mismatched graph is left unchanged") {
  qc::qat::test::SyntheticEncoderSpec spec;
  auto g = qc::qat::test::BuildSyntheticEncoder(spec);
  REQUIRE(g.ok());
  auto model = Model(*g);
  {
    torch::NoGradGuard no_grad;
    for (torch::Tensor p : model->parameters()) p.mul_(1.5);
  }
  qc::ir::Graph compacted = *g;
  qc::ir::Rewriter rewriter(compacted);
  REQUIRE(rewriter.Compact().ok());
  REQUIRE(qc::qat::WriteBackWeights(*model, compacted).ok());
  const torch::Tensor ids = torch::randint(0, 100, {2, 8}, torch::kLong);
  const torch::Tensor mask = torch::ones({2, 8}, torch::kLong);
  const std::map<std::string, torch::Tensor> inputs{{"input_ids", ids}, {"attention_mask", mask}};
  CHECK(BitIdentical((*Model(compacted)->Forward(inputs)).outputs[0], (*model->Forward(inputs)).outputs[0]));

  // A graph of a different size: the first mismatching parameter is reported and nothing is written.
  spec.hidden = 16;
  auto other = qc::qat::test::BuildSyntheticEncoder(spec);
  REQUIRE(other.ok());
  const uint64_t hash = ConstantHash(*other, "classifier.bias");
  const qc::Status status = qc::qat::WriteBackWeights(*model, *other);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == qc::StatusCode::kFailedPrecondition);
  CHECK(status.message() ==
        "WriteBackWeights: parameter for constant 'embeddings.word_embeddings.weight': the graph's constant is "
        "f32[100, 16], the parameter is [100, 32]");
  CHECK(ConstantHash(*other, "classifier.bias") == hash);
}
