// Weight transforms, activation transforms and Teacher-Intervention substitutes (qat/torch_model.h), exercised with
// simple transforms on a synthetic BERT-style encoder.
#include "tests/qat/qat_test_util.h"
// clang-format off
#include <doctest/doctest.h>
// clang-format on

#include <memory>
#include <string>
#include <tuple>

#include "qat/fake_quant.h"
#include "qat/torch_model.h"
#include "tests/qat/synthetic_encoder.h"

namespace {

using qc::qat::ActivationPoint;
using qc::qat::LinearRole;
using qc::qat::test::BitIdentical;
using qc::qat::test::MaxAbsDiff;

constexpr int64_t kBatch = 2, kSeq = 8, kHidden = 32, kHeads = 2;

qc::ir::Graph Graph() {
  qc::qat::test::SyntheticEncoderSpec spec;
  spec.hidden = kHidden;
  spec.heads = kHeads;
  auto g = qc::qat::test::BuildSyntheticEncoder(spec);
  REQUIRE_MESSAGE(g.ok(), g.status().ToString());
  return std::move(*g);
}

std::unique_ptr<qc::qat::TorchModel> Model(const qc::ir::Graph& g) {
  auto m = qc::qat::TorchModel::Build(g);
  REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  return std::move(*m);
}

std::map<std::string, torch::Tensor> Inputs() {
  torch::manual_seed(3);
  torch::Tensor mask = torch::ones({kBatch, kSeq}, torch::kLong);
  mask.index_put_({0, torch::indexing::Slice(5)}, 0);
  return {{"input_ids", torch::randint(0, 100, {kBatch, kSeq}, torch::kLong)}, {"attention_mask", mask}};
}

qc::qat::ForwardResult Run(const qc::qat::TorchModel& m, const qc::qat::ForwardOptions& options = {}) {
  auto r = m.Forward(Inputs(), options);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return std::move(*r);
}

torch::Tensor Param(const qc::qat::TorchModel& m, const std::string& name) {
  auto p = m.Parameter(name);
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  return *p;
}

void Perturb(qc::qat::TorchModel& m, const std::string& name, double amount) {
  torch::NoGradGuard no_grad;
  Param(m, name).add_(amount);
}

}  // namespace

TEST_CASE("weight transforms: zeroing a Linear's weight leaves its bias; doubling equals a doubled parameter") {
  const qc::ir::Graph g = Graph();
  auto m = Model(g);
  const size_t n = m->SetWeightTransforms([](const qc::qat::WeightSite& s) -> qc::qat::TensorTransform {
    if (!s.produces_graph_output) return nullptr;
    return [](const torch::Tensor& w) { return w * 0; };
  });
  CHECK(n == 1);
  const torch::Tensor bias = Param(*m, "classifier.bias");
  CHECK(BitIdentical(Run(*m).outputs[0], bias.expand({kBatch, 3})));

  // Every Linear zeroed: the classifier still outputs its bias; nothing else can leak through.
  CHECK(m->SetWeightTransforms([](const qc::qat::WeightSite& s) -> qc::qat::TensorTransform {
    if (s.op != qc::ir::OpType::kLinear) return nullptr;
    return [](const torch::Tensor& w) { return torch::zeros_like(w); };
  }) == 14);  // 2 layers x 6 + pooler + classifier
  CHECK(BitIdentical(Run(*m).outputs[0], bias.expand({kBatch, 3})));

  // x2 on the layer-1 FFN-out weight == a model whose parameter was doubled; gradients flow to the latent weight.
  m->ClearTransforms();
  size_t site = 0;
  for (size_t i = 0; i < m->weight_sites().size(); ++i) {
    const qc::qat::WeightSite& s = m->weight_sites()[i];
    if (s.role == LinearRole::kFfnOut && s.layer == 1) site = i;
  }
  CHECK(m->weight_sites()[site].weight == "encoder.layer.1.output.dense.weight");
  REQUIRE(m->SetWeightTransform(site, [](const torch::Tensor& w) { return w * 2; }).ok());
  auto doubled = Model(g);
  {
    torch::NoGradGuard no_grad;
    Param(*doubled, "encoder.layer.1.output.dense.weight").mul_(2);
  }
  const torch::Tensor out = Run(*m).outputs[0];
  CHECK(BitIdentical(out, Run(*doubled).outputs[0]));
  out.sum().backward();
  CHECK(Param(*m, "encoder.layer.1.output.dense.weight").grad().abs().sum().item<float>() > 0);
  CHECK(m->SetWeightTransform(99, nullptr).code() == qc::StatusCode::kOutOfRange);

  // A transform that changes the shape is refused, naming the node.
  REQUIRE(m->SetWeightTransform(site, [](const torch::Tensor& w) { return w.t(); }).ok());
  auto bad = m->Forward(Inputs());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("encoder.layer.1.output.dense") != std::string::npos);
}

TEST_CASE(
    "row-scoped weight transforms: the word embedding quantizes only the rows a batch reads, same values and "
    "gradients as quantizing the whole table") {
  const qc::ir::Graph g = Graph();
  auto whole = Model(g);
  auto rows = Model(g);
  size_t site = whole->weight_sites().size();
  for (size_t i = 0; i < whole->weight_sites().size(); ++i) {
    if (whole->weight_sites()[i].op == qc::ir::OpType::kEmbedding && whole->weight_sites()[i].input == "input_ids") {
      site = i;
    }
  }
  REQUIRE(site < whole->weight_sites().size());
  const std::string table = whole->weight_sites()[site].weight;
  // Row-wise TWN with a clip inside the weights' range, so the straight-through mask matters too.
  REQUIRE(whole->SetWeightTransform(site, [](const torch::Tensor& w) { return qc::qat::FakeQuantTwn(w, true, 0.05f); })
              .ok());
  int64_t rows_seen = -1;
  REQUIRE(rows->SetWeightTransform(
                  site,
                  [&rows_seen](const torch::Tensor& r) {
                    rows_seen = r.size(0);
                    return qc::qat::FakeQuantTwnRows(r, 0.05f);
                  },
                  qc::qat::WeightTransformScope::kRows)
              .ok());
  const torch::Tensor out_whole = Run(*whole).outputs[0];
  const torch::Tensor out_rows = Run(*rows).outputs[0];
  CHECK(BitIdentical(out_whole, out_rows));
  const int64_t distinct = std::get<0>(at::_unique(Inputs().at("input_ids"))).size(0);
  CHECK(rows_seen == distinct);
  CHECK(distinct < Param(*whole, table).size(0));
  out_whole.pow(2).sum().backward();
  out_rows.pow(2).sum().backward();
  const torch::Tensor grad = Param(*rows, table).grad();
  // Equal as values; zeros may differ in sign (the whole-table backward scales every row's zero gradient by the
  // straight-through mask), which no optimizer step can tell apart.
  CHECK(torch::equal(Param(*whole, table).grad(), grad));
  CHECK(grad.abs().sum().item<float>() > 0);
  // Rows the batch does not read get no gradient; a clipped weight (|w| >= clip) none either.
  CHECK(grad.abs().sum(1).ne(0).sum().item<int64_t>() <= distinct);
}

TEST_CASE("activation transforms: sites, layouts, zeroed inputs and probabilities") {
  const qc::ir::Graph g = Graph();
  auto m = Model(g);
  // 2 layers x (6 Linear inputs + q, k, v, probs) + pooler + classifier inputs.
  REQUIRE(m->activation_sites().size() == 2 * 10 + 2);
  std::map<std::string, std::vector<int64_t>> seen;
  m->SetActivationTransforms([&](const qc::qat::ActivationSite& s) -> qc::qat::TensorTransform {
    std::string key = std::string(qc::qat::ActivationPointName(s.point)) + "@" + std::to_string(s.layer) + ":" +
                      std::string(qc::qat::LinearRoleName(s.role));
    if (s.layer < 0) key += ":" + s.node_name;
    return [&seen, key](const torch::Tensor& x) {
      seen[key] = x.sizes().vec();
      return x;
    };
  });
  const torch::Tensor plain = Run(*Model(g)).outputs[0];
  CHECK(BitIdentical(Run(*m).outputs[0], plain));  // identity transforms change nothing
  CHECK(seen.size() == 22);
  const int64_t d = kHidden / kHeads;
  CHECK(seen["query@1:other"] == std::vector<int64_t>{kBatch, kHeads, kSeq, d});
  CHECK(seen["key@0:other"] == std::vector<int64_t>{kBatch, kHeads, kSeq, d});
  CHECK(seen["value@0:other"] == std::vector<int64_t>{kBatch, kHeads, kSeq, d});
  CHECK(seen["attention_probs@1:other"] == std::vector<int64_t>{kBatch, kHeads, kSeq, kSeq});
  CHECK(seen["linear_input@0:ffn_out"] == std::vector<int64_t>{kBatch, kSeq, 64});
  CHECK(seen["linear_input@-1:other:pooler.dense"] == std::vector<int64_t>{kBatch, kHidden});

  // Zeroed probabilities: the context is 0, so the attention-output dense gives its bias.
  m->ClearTransforms();
  m->SetActivationTransforms([](const qc::qat::ActivationSite& s) -> qc::qat::TensorTransform {
    if (s.point != ActivationPoint::kAttentionProbs) return nullptr;
    return [](const torch::Tensor& p) { return p * 0; };
  });
  qc::qat::ForwardOptions options;
  options.taps = qc::qat::kTapContext | qc::qat::kTapAttentionDense | qc::qat::kTapProbs;
  qc::qat::ForwardResult r = Run(*m, options);
  CHECK(r.taps.layers[0].context.abs().max().item<float>() == 0.0f);
  CHECK(BitIdentical(r.taps.layers[1].attention_dense,
                     Param(*m, "encoder.layer.1.attention.output.dense.bias").expand({kBatch, kSeq, kHidden})));
  CHECK(r.taps.layers[0].probs.sum(-1).min().item<float>() > 0.99f);  // taps keep the student's own P

  // Zeroed queries: every score is 0 plus the mask term, so P is uniform over the unmasked keys.
  m->ClearTransforms();
  m->SetActivationTransforms([](const qc::qat::ActivationSite& s) -> qc::qat::TensorTransform {
    if (s.point != ActivationPoint::kQuery) return nullptr;
    return [](const torch::Tensor& q) { return q * 0; };
  });
  r = Run(*m, options);
  const torch::Tensor p = r.taps.layers[1].probs;
  CHECK(MaxAbsDiff(p[1], torch::full({kHeads, kSeq, kSeq}, 1.0 / kSeq)) <= 1e-7);
  CHECK(MaxAbsDiff(p[0].index({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, 5)}),
                   torch::full({kHeads, kSeq, 5}, 1.0 / 5)) <= 1e-7);

  // Zeroed classifier input: logits are the classifier bias.
  m->ClearTransforms();
  m->SetActivationTransforms([](const qc::qat::ActivationSite& s) -> qc::qat::TensorTransform {
    if (!s.produces_graph_output) return nullptr;
    return [](const torch::Tensor& x) { return x * 0; };
  });
  CHECK(BitIdentical(Run(*m).outputs[0], Param(*m, "classifier.bias").expand({kBatch, 3})));
}

TEST_CASE("interventions: the teacher's context / map / attention-dense output restores the teacher's layers") {
  const qc::ir::Graph g = Graph();
  auto teacher = Model(g);
  qc::qat::ForwardOptions all;
  all.taps = qc::qat::kTapAll;
  qc::qat::ForwardResult t;
  {
    torch::NoGradGuard no_grad;
    t = Run(*teacher, all);
  }
  struct Mode {
    const char* name;
    std::vector<const char*> perturbed;  // parts of each layer that differ between student and teacher
  };
  const Mode modes[] = {
      {"context", {"attention.self.query.weight", "attention.self.key.weight", "attention.self.value.weight"}},
      {"probs", {"attention.self.query.weight", "attention.self.key.bias"}},
      {"attention_dense", {"attention.self.value.weight", "attention.output.dense.weight"}},
  };
  for (const Mode& mode : modes) {
    CAPTURE(mode.name);
    auto student = Model(g);
    for (int l = 0; l < 2; ++l) {
      for (const char* part : mode.perturbed) Perturb(*student, "encoder.layer." + std::to_string(l) + "." + part, 0.3);
    }
    const qc::qat::ForwardResult free_run = Run(*student, all);
    CHECK(MaxAbsDiff(free_run.taps.layers[0].output, t.taps.layers[0].output) > 1e-3);

    qc::qat::ForwardOptions options = all;
    options.interventions.resize(2);
    for (size_t l = 0; l < 2; ++l) {
      const std::string m = mode.name;
      if (m == "context") options.interventions[l].context = t.taps.layers[l].context;
      if (m == "probs") options.interventions[l].probs = t.taps.layers[l].probs;
      if (m == "attention_dense") options.interventions[l].attention_dense = t.taps.layers[l].attention_dense;
    }
    const qc::qat::ForwardResult s = Run(*student, options);
    for (size_t l = 0; l < 2; ++l) {
      CHECK(MaxAbsDiff(s.taps.layers[l].output, t.taps.layers[l].output) <= 1e-6);
      CHECK(MaxAbsDiff(s.taps.layers[l].attention_output, t.taps.layers[l].attention_output) <= 1e-6);
    }
    CHECK(MaxAbsDiff(s.outputs[0], t.outputs[0]) <= 1e-6);
    // Taps keep the student's own signal at the substituted point.
    if (std::string(mode.name) == "probs") {
      CHECK(MaxAbsDiff(s.taps.layers[1].probs, t.taps.layers[1].probs) > 1e-4);
    }
  }
}

TEST_CASE("interventions: stop-gradient at the Q/K and V inputs") {
  const qc::ir::Graph g = Graph();
  auto m = Model(g);
  auto grad_sum = [&](const std::string& name) {
    const torch::Tensor grad = Param(*m, name).grad();
    return grad.defined() ? grad.abs().sum().item<double>() : 0.0;
  };
  auto scores_loss_grads = [&](bool detach_qk, bool detach_v) {
    m->module().zero_grad();
    qc::qat::ForwardOptions options;
    options.taps = qc::qat::kTapScores | qc::qat::kTapAttentionDense;
    options.interventions.resize(2);
    options.interventions[1].detach_qk_input = detach_qk;
    options.interventions[1].detach_v_input = detach_v;
    const qc::qat::ForwardResult r = Run(*m, options);
    // A score loss at layer 1 (masked entries excluded) plus the layer-1 attention-dense output.
    const torch::Tensor scores = r.taps.layers[1].scores;
    (scores.masked_fill(scores < -100, 0).pow(2).sum() + r.taps.layers[1].attention_dense.sum()).backward();
    return std::make_tuple(grad_sum("encoder.layer.1.attention.self.query.weight"),
                           grad_sum("encoder.layer.0.output.dense.weight"),
                           grad_sum("encoder.layer.1.attention.self.value.weight"));
  };
  const auto [q_free, below_free, v_free] = scores_loss_grads(false, false);
  CHECK(q_free > 0);
  CHECK(below_free > 0);
  CHECK(v_free > 0);
  // Detaching the Q/K/V inputs: layer 1's own projections still learn, nothing reaches layer 0 (this loss does not
  // use the residual path, which stays attached).
  const auto [q_det, below_det, v_det] = scores_loss_grads(true, true);
  CHECK(q_det > 0);
  CHECK(v_det > 0);
  CHECK(below_det == 0.0);
  // Detaching only Q/K: layer 0 still gets gradient through V.
  const auto [q_qk, below_qk, v_qk] = scores_loss_grads(true, false);
  CHECK(q_qk > 0);
  CHECK(v_qk > 0);
  CHECK(below_qk > 0);
}

TEST_CASE("interventions: errors name the layer and the substitute") {
  const qc::ir::Graph g = Graph();
  auto m = Model(g);
  qc::qat::ForwardOptions options;
  options.interventions.resize(1);
  auto r = m->Forward(Inputs(), options);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("1 interventions given; the model has 2 encoder layers") != std::string::npos);

  options.interventions.resize(2);
  options.interventions[1].context = torch::zeros({kBatch, kSeq + 1, kHidden});
  r = m->Forward(Inputs(), options);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("encoder.layer.1.attention.self") != std::string::npos);
  CHECK(r.status().message().find("layer 1 intervention 'context' has shape [2, 9, 32], expected [2, 8, 32]") !=
        std::string::npos);
}
