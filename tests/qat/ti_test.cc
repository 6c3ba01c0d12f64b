// Teacher Intervention (qat/teacher_intervention.h): schedule boundaries, the two-step plan, and which weights
// receive gradient under each mode (method.md §4.2, right column).
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <set>

#include "qat/distill_losses.h"
#include "qat/fake_quant.h"
#include "qat/teacher_intervention.h"
#include "tests/qat/synthetic_encoder.h"

using qc::qat::TiMode;
using qc::qat::TiSchedule;

TEST_CASE("TI schedules: gradual [0,s/6) OI, [s/6,s/3) CI, [s/3,s) MI; inverted thirds; none from s") {
  qc::qat::TiScheduler g60(TiSchedule::kGradual, 60, 1);
  const std::vector<std::pair<int64_t, TiMode>> expect60 = {{0, TiMode::kOutput},  {9, TiMode::kOutput},
                                                            {10, TiMode::kContext}, {19, TiMode::kContext},
                                                            {20, TiMode::kMap},     {59, TiMode::kMap},
                                                            {60, TiMode::kNone},    {-1, TiMode::kNone}};
  for (const auto& [step, mode] : expect60) CHECK_MESSAGE(g60.ModeAt(step) == mode, step);
  qc::qat::TiScheduler g120(TiSchedule::kGradual, 120, 1);
  CHECK(g120.ModeAt(19) == TiMode::kOutput);
  CHECK(g120.ModeAt(20) == TiMode::kContext);
  CHECK(g120.ModeAt(39) == TiMode::kContext);
  CHECK(g120.ModeAt(40) == TiMode::kMap);
  CHECK(g120.ModeAt(119) == TiMode::kMap);
  qc::qat::TiScheduler inv(TiSchedule::kInverted, 60, 1);
  CHECK(inv.ModeAt(19) == TiMode::kMap);
  CHECK(inv.ModeAt(20) == TiMode::kContext);
  CHECK(inv.ModeAt(39) == TiMode::kContext);
  CHECK(inv.ModeAt(40) == TiMode::kOutput);
  qc::qat::TiScheduler single(TiSchedule::kContext, 10, 1);
  CHECK(single.ModeAt(9) == TiMode::kContext);
  CHECK(single.ModeAt(10) == TiMode::kNone);
  // Stochastic: reproducible per seed, all three modes appear, another seed gives another sequence.
  qc::qat::TiScheduler a(TiSchedule::kStochastic, 60, 7), b(TiSchedule::kStochastic, 60, 7),
      c(TiSchedule::kStochastic, 60, 8);
  std::vector<TiMode> sa, sb, sc;
  for (int64_t s = 0; s < 60; ++s) sa.push_back(a.ModeAt(s)), sb.push_back(b.ModeAt(s)), sc.push_back(c.ModeAt(s));
  CHECK((sa == sb));
  CHECK((sa != sc));
  CHECK(std::set<TiMode>(sa.begin(), sa.end()).size() == 3);
  CHECK(qc::qat::ParseTiSchedule("gradual").value() == TiSchedule::kGradual);
  CHECK_FALSE(qc::qat::ParseTiSchedule("grad").ok());
  auto plan = qc::qat::MakeTwoStepPlan(600, 60);
  REQUIRE(plan.ok());
  CHECK(plan->step1 == 60);
  CHECK(plan->step2 == 540);
  CHECK_FALSE(qc::qat::MakeTwoStepPlan(60, 60).ok());
  CHECK_FALSE(qc::qat::MakeTwoStepPlan(60, 0).ok());
}

namespace {

struct GradFlow {
  bool query, key, value, attention_dense, ffn_in, ffn_out, word_embedding;
};

bool HasGrad(const qc::qat::TorchModel& m, const std::string& name) {
  const torch::Tensor p = m.Parameter(name).value();
  return p.grad().defined() && p.grad().abs().sum().item<float>() > 0.0f;
}

// One student step under `mode` with the given loss set; which weights of layer 1 (and the word embedding) got a
// gradient.
GradFlow Flow(TiMode mode, const qc::qat::DistillLossConfig& losses) {
  qc::qat::test::SyntheticEncoderSpec spec;
  const qc::ir::Graph g = qc::qat::test::BuildSyntheticEncoder(spec).value();
  auto teacher = qc::qat::TorchModel::Build(g).value();
  auto student = qc::qat::TorchModel::Build(g).value();
  REQUIRE(qc::qat::ApplyQuantRecipe(*student, qc::qat::QuantRecipe{}).ok());
  torch::manual_seed(4);
  torch::Tensor mask = torch::ones({2, 6}, torch::kLong);
  mask[1][5] = 0;
  const std::map<std::string, torch::Tensor> inputs = {{"input_ids", torch::randint(0, 100, {2, 6}, torch::kLong)},
                                                       {"attention_mask", mask}};
  qc::qat::ForwardOptions to;
  to.taps = losses.RequiredTaps() | qc::qat::TiTeacherTaps(mode);
  qc::qat::ForwardResult t;
  {
    torch::NoGradGuard no_grad;
    t = teacher->Forward(inputs, to).value();
  }
  qc::qat::ForwardOptions so;
  so.taps = losses.RequiredTaps();
  so.interventions = qc::qat::BuildInterventions(mode, t.taps).value();
  auto s = student->Forward(inputs, so);
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  auto l = qc::qat::DistillLoss(*s, t, mask, losses);
  REQUIRE_MESSAGE(l.ok(), l.status().ToString());
  l->total.backward();
  const std::string p = "encoder.layer.1.";
  return {HasGrad(*student, p + "attention.self.query.weight"), HasGrad(*student, p + "attention.self.key.weight"),
          HasGrad(*student, p + "attention.self.value.weight"), HasGrad(*student, p + "attention.output.dense.weight"),
          HasGrad(*student, p + "intermediate.dense.weight"),   HasGrad(*student, p + "output.dense.weight"),
          HasGrad(*student, "embeddings.word_embeddings.weight")};
}

}  // namespace

TEST_CASE("TI gradient flow: prediction + hidden losses (no score MSE)") {
  qc::qat::DistillLossConfig c = qc::qat::DistillLossConfig::TernaryBert();
  c.score_weight = 0.0;
  const GradFlow none = Flow(TiMode::kNone, c);
  CHECK((none.query && none.key && none.value && none.attention_dense && none.ffn_in && none.word_embedding));
  const GradFlow oi = Flow(TiMode::kOutput, c);  // Q, K, V and the dense output are replaced or detached
  CHECK_FALSE(oi.query);
  CHECK_FALSE(oi.key);
  CHECK_FALSE(oi.value);
  CHECK_FALSE(oi.attention_dense);
  CHECK((oi.ffn_in && oi.ffn_out && oi.word_embedding));  // residual path is not detached
  const GradFlow ci = Flow(TiMode::kContext, c);
  CHECK_FALSE(ci.query);
  CHECK_FALSE(ci.key);
  CHECK_FALSE(ci.value);
  CHECK((ci.attention_dense && ci.ffn_in && ci.ffn_out));
  const GradFlow mi = Flow(TiMode::kMap, c);
  CHECK_FALSE(mi.query);
  CHECK_FALSE(mi.key);
  CHECK((mi.value && mi.attention_dense && mi.ffn_in && mi.ffn_out));
}

TEST_CASE("TI gradient flow: the score MSE trains Q and K but stops at their detached inputs") {
  qc::qat::DistillLossConfig c;
  c.pred_weight = 0.0;
  c.hidden_weight = 0.0;
  c.score_weight = 1.0;
  const GradFlow none = Flow(TiMode::kNone, c);
  CHECK((none.query && none.key && none.word_embedding));
  CHECK_FALSE(none.value);
  for (TiMode mode : {TiMode::kOutput, TiMode::kContext, TiMode::kMap}) {
    const GradFlow f = Flow(mode, c);
    CHECK_MESSAGE((f.query && f.key), qc::qat::TiModeName(mode));
    CHECK_MESSAGE(!f.word_embedding, qc::qat::TiModeName(mode));  // detached at every layer's Q/K input
    CHECK_MESSAGE(!f.value, qc::qat::TiModeName(mode));
  }
}

TEST_CASE("BuildInterventions: detach flags per mode; missing teacher taps are named") {
  qc::qat::Taps taps;
  taps.layers.resize(2);
  for (auto& l : taps.layers) l.probs = torch::ones({1, 1, 2, 2});
  auto mi = qc::qat::BuildInterventions(TiMode::kMap, taps);
  REQUIRE(mi.ok());
  CHECK(mi->size() == 2);
  CHECK((*mi)[0].detach_qk_input);
  CHECK_FALSE((*mi)[0].detach_v_input);
  CHECK((*mi)[1].probs.defined());
  auto oi = qc::qat::BuildInterventions(TiMode::kOutput, taps);
  REQUIRE_FALSE(oi.ok());
  CHECK(oi.status().message().find("layer 0") != std::string::npos);
  CHECK(qc::qat::BuildInterventions(TiMode::kNone, taps).value().empty());
}
