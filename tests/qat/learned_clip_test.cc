// Learned activation clipping (QuantRecipe::learn_act_clip): the PACT gradient on a hand-computed case, one clip per
// quantized tensor, the trained clips in Node::quant, and the packed .qm equal to the student that learned them.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "passes/lower_quantized.h"
#include "passes/merge_qkv.h"
#include "qat/fake_quant.h"
#include "tests/qat/packed_run.h"
#include "tests/qat/qat_test_util.h"
#include "tests/qat/synthetic_encoder.h"

using qc::qat::test::Values;

TEST_CASE("LearnedActClamp: clamps to ±alpha; gradient to x inside, sum of g·sign(x) outside to alpha") {
  torch::Tensor x = torch::tensor({-3.0f, -1.0f, 0.5f, 2.0f, 4.0f}).set_requires_grad(true);
  torch::Tensor alpha = torch::tensor({2.5f}).set_requires_grad(true);
  torch::Tensor y = qc::qat::LearnedActClamp(x, alpha);
  CHECK(Values(y) == std::vector<float>{-2.5f, -1.0f, 0.5f, 2.0f, 2.5f});
  // dL/dy = (1, 2, 3, 4, 5): x keeps 2, 3, 4 (inside); alpha gets +5 (x = 4 above) − 1 (x = −3 below) = 4.
  (y * torch::tensor({1.0f, 2.0f, 3.0f, 4.0f, 5.0f})).sum().backward();
  CHECK(Values(x.grad()) == std::vector<float>{0.0f, 2.0f, 3.0f, 4.0f, 0.0f});
  CHECK(Values(alpha.grad()) == std::vector<float>{4.0f});

  // Below the floor the clip is kMinLearnedActClip and alpha gets no gradient (it cannot cross zero).
  torch::Tensor tiny = torch::tensor({-0.5f}).set_requires_grad(true);
  torch::Tensor z = qc::qat::LearnedActClamp(torch::tensor({1.0f, -1.0f, 0.0f}), tiny);
  CHECK(Values(z) == std::vector<float>{qc::qat::kMinLearnedActClip, -qc::qat::kMinLearnedActClip, 0.0f});
  z.sum().backward();
  CHECK(Values(tiny.grad()) == std::vector<float>{0.0f});
  CHECK(qc::qat::EffectiveLearnedClip(tiny) == qc::qat::kMinLearnedActClip);
  CHECK(qc::qat::EffectiveLearnedClip(torch::tensor({1.75f})) == 1.75f);
}

TEST_CASE("learned clips: one per quantized tensor (Q, K, V share), trained by the loss, exported per node") {
  qc::qat::test::SyntheticEncoderSpec spec;  // 2 layers
  qc::ir::Graph g = qc::qat::test::BuildSyntheticEncoder(spec).value();
  auto model = qc::qat::TorchModel::Build(g).value();
  qc::qat::QuantRecipe recipe;
  recipe.learn_act_clip = true;
  recipe.act_clip = 0.05f;  // small enough that every quantized tensor has values beyond it (PACT: else no gradient)
  REQUIRE(qc::qat::ApplyQuantRecipe(*model, recipe).ok());
  // Per layer: the hidden state (Q, K, V), the context, the attention output (FFN1), the GELU output (FFN2); and the
  // pooler's input.
  const auto& clips = model->quantizer_parameters();
  REQUIRE(clips.size() == 2 * 4 + 1);
  for (const auto& [name, t] : clips) CHECK(Values(t) == std::vector<float>{0.05f});

  torch::Tensor ids = torch::randint(0, 100, {2, 7}, torch::kLong);
  auto r = model->Forward({{"input_ids", ids}, {"attention_mask", torch::ones({2, 7}, torch::kLong)}});
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  r->outputs[0].pow(2).sum().backward();
  int with_gradient = 0;
  for (const auto& [name, t] : clips) {
    const bool has = t.grad().defined() && t.grad().abs().item<float>() > 0.0f;
    if (!has) MESSAGE(std::string("no gradient: " + name));
    with_gradient += has;
  }
  CHECK(with_gradient == static_cast<int>(clips.size()));

  // Distinct trained values end up on their nodes; the three projections of one layer carry the same clip.
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < clips.size(); ++i) {
      torch::Tensor t = clips[i].second;
      t.fill_(0.3f + 0.05f * static_cast<float>(i));
    }
  }
  REQUIRE(qc::qat::AnnotateQuantization(*model, recipe, g).ok());
  std::set<double> seen;
  std::map<std::string, double> by_name;
  for (const qc::ir::Node& node : g.nodes()) {
    if (node.op != qc::ir::OpType::kLinear || !node.quant) continue;
    REQUIRE(node.quant->activation->clip.has_value());
    seen.insert(*node.quant->activation->clip);
    by_name[node.name] = *node.quant->activation->clip;
  }
  CHECK(seen.size() == clips.size());
  int shared = 0;
  for (const auto& [name, clip] : by_name) {
    if (name.find("query") == std::string::npos) continue;
    std::string key = name, value = name;
    key.replace(key.find("query"), 5, "key");
    value.replace(value.find("query"), 5, "value");
    REQUIRE(by_name.count(key) == 1);
    CHECK(by_name.at(key) == clip);
    CHECK(by_name.at(value) == clip);
    ++shared;
  }
  CHECK(shared == 2);
  // Equal clips keep Q/K/V mergeable into one QLinear per layer.
  qc::passes::PassContext context;
  REQUIRE(qc::passes::MakeLowerQuantizedPass()->Run(g, context).ok());
  auto merged = qc::passes::MakeMergeQkvPass()->Run(g, context);
  REQUIRE_MESSAGE(merged.ok(), merged.status().ToString());
  CHECK(*merged);

  // A learned clip needs a starting value.
  recipe.act_clip = 0.0f;
  auto refused = qc::qat::ApplyQuantRecipe(*model, recipe);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message().find("initial act_clip") != std::string::npos);
}

TEST_CASE("learned clips: the packed .qm equals the student evaluated without autograd") {
  for (const bool per_tensor : {false, true}) {
    qc::qat::test::SyntheticEncoderSpec spec;
    spec.hidden = 64;
    spec.ffn = 128;
    qc::ir::Graph g = qc::qat::test::BuildSyntheticEncoder(spec).value();
    auto student = qc::qat::TorchModel::Build(g).value();
    qc::qat::QuantRecipe recipe;
    recipe.learn_act_clip = true;
    recipe.act_granularity = per_tensor ? qc::qat::ActGranularity::kPerTensor : qc::qat::ActGranularity::kPerToken;
    REQUIRE(qc::qat::ApplyQuantRecipe(*student, recipe).ok());
    {
      torch::NoGradGuard no_grad;
      const auto& clips = student->quantizer_parameters();
      for (size_t i = 0; i < clips.size(); ++i) {
        torch::Tensor t = clips[i].second;
        t.fill_(0.35f + 0.07f * static_cast<float>(i));  // distinct, and below the activations' range
      }
    }
    const qc::qat::test::TestBatch batch = qc::qat::test::MakeTestBatch(3, 9);
    torch::Tensor fake;
    {
      torch::NoGradGuard eval_mode;  // exact_eval: QLinearSim behind the learned clamp
      auto r = student->Forward(batch.Inputs());
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      fake = r->outputs[0].contiguous();
    }
    REQUIRE(qc::qat::AnnotateQuantization(*student, recipe, g).ok());
    auto packed = qc::qat::test::RunPacked(g, batch, "qc_qat_learned_clip.qm");
    REQUIRE_MESSAGE(packed.ok(), packed.status().ToString());
    REQUIRE(packed->size() == static_cast<size_t>(fake.numel()));
    double scale = 0.0;
    const double worst = qc::qat::test::MaxAbsDiffOf(*packed, fake, &scale);
    MESSAGE(std::string(per_tensor ? "per tensor" : "per token") << ": max |packed - student| = " << worst);
    CHECK(worst <= 1e-5 * std::max(1.0, scale));
  }
}
