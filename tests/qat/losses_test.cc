// Distillation losses (qat/distill_losses.h) on hand-computed cases.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <cmath>

#include "qat/distill_losses.h"

namespace {
float F(const torch::Tensor& t) { return t.item<float>(); }
}  // namespace

TEST_CASE("soft cross-entropy: TernaryBERT mean over batch and classes, TI sum over classes") {
  // p_T = [1/4, 3/4], log_softmax(student) = [-ln 2, -ln 2]: per-class terms ln2/4, 3ln2/4.
  const torch::Tensor zs = torch::tensor({{0.0f, 0.0f}});
  const torch::Tensor zt = torch::tensor({{0.0f, std::log(3.0f)}});
  CHECK(F(qc::qat::SoftCrossEntropy(zs, zt, false)) == doctest::Approx(0.5 * std::log(2.0)).epsilon(1e-6));
  CHECK(F(qc::qat::SoftCrossEntropy(zs, zt, true)) == doctest::Approx(std::log(2.0)).epsilon(1e-6));
  // Two rows: mean over the batch.
  const torch::Tensor zs2 = torch::tensor({{0.0f, 0.0f}, {0.0f, 0.0f}});
  const torch::Tensor zt2 = torch::tensor({{0.0f, std::log(3.0f)}, {0.0f, 0.0f}});
  CHECK(F(qc::qat::SoftCrossEntropy(zs2, zt2, true)) == doctest::Approx(std::log(2.0)).epsilon(1e-6));
}

TEST_CASE("score MSE zeroes entries <= -100 in both tensors") {
  CHECK(F(qc::qat::MaskedScoreMse(torch::tensor({1.0f, -200.0f}), torch::tensor({3.0f, -150.0f}))) == 2.0f);
  CHECK(F(qc::qat::MaskedScoreMse(torch::tensor({-50.0f}), torch::tensor({-150.0f}))) == 2500.0f);
  CHECK(F(qc::qat::MaskedScoreMse(torch::tensor({-100.0f}), torch::tensor({0.0f}))) == 0.0f);  // <= is inclusive
}

TEST_CASE("attention-map KL: teacher || student, masked, normalised by length, clamped at 1e-8") {
  const torch::Tensor pt = torch::tensor({0.5f, 0.5f, 1.0f, 0.0f}).reshape({1, 1, 2, 2});
  const torch::Tensor ps = torch::tensor({0.25f, 0.75f, 1.0f, 0.0f}).reshape({1, 1, 2, 2});
  // Only (0, 0) is inside a length-1 sequence: 0.5·(ln 0.5 − ln 0.25) / 1.
  CHECK(F(qc::qat::AttentionMapKl(ps, pt, torch::tensor({{1, 0}}))) == doctest::Approx(0.5 * std::log(2.0)).epsilon(1e-5));
  // Full length 2: row 0 gives 0.5 ln 2 + 0.5 ln(2/3); row 1 is 0 (1·ln 1, and 1e-8·0); divided by 2.
  const double full = (0.5 * std::log(2.0) + 0.5 * std::log(0.5 / 0.75)) / 2.0;
  CHECK(F(qc::qat::AttentionMapKl(ps, pt, torch::tensor({{1, 1}}))) == doctest::Approx(full).epsilon(1e-5));
  // Mean over batch and heads: a second identical head changes nothing; a matching student gives 0.
  CHECK(F(qc::qat::AttentionMapKl(torch::cat({ps, ps}, 1), torch::cat({pt, pt}, 1), torch::tensor({{1, 1}}))) ==
        doctest::Approx(full).epsilon(1e-5));
  CHECK(F(qc::qat::AttentionMapKl(pt, pt, torch::tensor({{1, 1}}))) == 0.0f);
}

TEST_CASE("DistillLoss: weights, L+1 hidden terms, missing taps named") {
  qc::qat::ForwardResult s, t;
  s.outputs = {torch::tensor({{0.0f, 0.0f}})};
  t.outputs = {torch::tensor({{0.0f, std::log(3.0f)}})};
  for (int l = 0; l < 2; ++l) {
    qc::qat::LayerTaps ls, lt;
    ls.input = torch::full({1, 2, 2}, static_cast<float>(l));       // H_0 = layer 0 input, then outputs
    lt.input = torch::full({1, 2, 2}, static_cast<float>(l) + 1);   // differs by 1 everywhere: MSE 1
    ls.output = torch::full({1, 2, 2}, 0.0f);
    lt.output = torch::full({1, 2, 2}, 2.0f);                        // MSE 4 per layer
    ls.scores = torch::tensor({1.0f, -200.0f}).reshape({1, 1, 1, 2});
    lt.scores = torch::tensor({3.0f, -150.0f}).reshape({1, 1, 1, 2});  // MSE 2 per layer
    ls.attention_output = torch::zeros({1, 2, 2});
    lt.attention_output = torch::ones({1, 2, 2});                   // MSE 1 per layer
    s.taps.layers.push_back(ls);
    t.taps.layers.push_back(lt);
  }
  s.taps.embedding_output = s.taps.layers[0].input;
  t.taps.embedding_output = t.taps.layers[0].input;
  const torch::Tensor mask = torch::ones({1, 2}, torch::kLong);
  auto tb = qc::qat::DistillLoss(s, t, mask, qc::qat::DistillLossConfig::TernaryBert());
  REQUIRE_MESSAGE(tb.ok(), tb.status().ToString());
  CHECK(F(tb->hidden) == 1.0f + 4.0f + 4.0f);  // H_0, H_1, H_2
  CHECK(F(tb->score) == 4.0f);
  CHECK_FALSE(tb->output.defined());
  CHECK(F(tb->total) == doctest::Approx(0.5 * std::log(2.0) + 9.0 + 4.0).epsilon(1e-6));
  auto ti = qc::qat::DistillLoss(s, t, mask, qc::qat::DistillLossConfig::TeacherIntervention());
  REQUIRE(ti.ok());
  CHECK(F(ti->total) == doctest::Approx(std::log(2.0) + 9.0 + 4.0 + 2.0).epsilon(1e-6));
  qc::qat::DistillLossConfig c = qc::qat::DistillLossConfig::TernaryBert();
  c.hidden_weight = 0.5;
  c.score_weight = 0.0;
  c.pred = qc::qat::PredLoss::kMse;
  auto weighted = qc::qat::DistillLoss(s, t, mask, c);
  REQUIRE(weighted.ok());
  CHECK(F(weighted->total) == doctest::Approx(std::log(3.0) * std::log(3.0) / 2 + 4.5).epsilon(1e-6));
  auto missing = qc::qat::DistillLoss(s, t, mask, qc::qat::DistillLossConfig::KdQat());  // no probs tapped
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("probs") != std::string::npos);
  CHECK(qc::qat::DistillLossConfig::KdQat().RequiredTaps() ==
        (qc::qat::kTapHidden | qc::qat::kTapProbs | qc::qat::kTapAttentionOutput));
}

TEST_CASE("task loss: cross-entropy with labels, MSE for regression") {
  const torch::Tensor logits = torch::tensor({{0.0f, 0.0f}});
  CHECK(F(qc::qat::TaskLoss(logits, torch::tensor({1}), false)) == doctest::Approx(std::log(2.0)).epsilon(1e-6));
  CHECK(F(qc::qat::TaskLoss(torch::tensor({{1.0f}, {2.0f}}), torch::tensor({0.0f, 4.0f}), true)) == 2.5f);
}
