// Weight averaging in the training loop (qat/trainer.h, qat/weight_average.h): an exponential moving average and a
// tail average leave training alone, are what is scored and written back, and resume exactly.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <cmath>
#include <filesystem>
#include <vector>

#include "qat/fake_quant.h"

#include "qat/trainer.h"
#include "qat/trainer_support.h"
#include "tests/qat/trainer_fixtures.h"

using namespace qc::qat::test;  // NOLINT(google-build-using-namespace): the shared fixtures

TEST_CASE("a weight average leaves training alone, is what is scored and written back, and resumes exactly") {
  if (!HaveGlueData()) return;
  const qc::qat::TrainData& data = Sst2();
  const qc::ir::Graph start = TinyClassifier();
  qc::qat::TrainerOptions o = EightTiSteps();  // the average restarts at TI's step 2
  qc::ir::Graph raw = start, averaged = start;
  auto r_raw = qc::qat::Train(raw, data, o);
  o.average_decay = 0.9;
  auto r_avg = qc::qat::Train(averaged, data, o);
  REQUIRE((r_raw.ok() && r_avg.ok()));
  CHECK(r_avg->step_losses == r_raw->step_losses);  // training runs on the raw weights
  CHECK_FALSE(SameConstants(averaged, raw));
  CHECK(r_avg->eval_logits.values != r_raw->eval_logits.values);
  std::vector<double> targets;
  for (const qc::qat::EncodedExample& e : data.eval) targets.push_back(e.label);
  CHECK(qc::qat::MetricOfLogits(o.metric, r_avg->eval_logits, targets) == r_avg->last_score);
  REQUIRE(r_avg->curve.size() == r_raw->curve.size());
  for (size_t i = 0; i < r_avg->curve.size(); ++i) {  // next to each score, the raw weights' (the raw run's)
    CHECK_FALSE(r_raw->curve[i].raw_score.has_value());
    REQUIRE(r_avg->curve[i].raw_score.has_value());
    CHECK(*r_avg->curve[i].raw_score == r_raw->curve[i].score);
  }

  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "qc_qat_average_resume_test";
  qc::ir::Graph c = start;
  const PiecewiseRun pieces = RunInPieces(c, data, o, dir, {2, 2, -1});  // stops at step 2 and at the phase boundary
  REQUIRE(pieces.last.curve.size() == r_avg->curve.size());
  for (size_t i = 0; i < pieces.last.curve.size(); ++i) {
    CHECK(pieces.last.curve[i].score == r_avg->curve[i].score);
    CHECK(pieces.last.curve[i].raw_score == r_avg->curve[i].raw_score);
  }
  CHECK(pieces.losses == r_avg->step_losses);
  CHECK(SameConstants(c, averaged));
  std::filesystem::remove_all(dir);
}

namespace {

// The float constants of `g` in value order (the trained latent weights after write-back, and the untouched ones).
std::vector<std::vector<float>> FloatConstants(const qc::ir::Graph& g) {
  std::vector<std::vector<float>> out;
  for (size_t i = 0; i < g.num_values(); ++i) {
    const auto& c = g.value(static_cast<qc::ir::ValueId>(i)).constant;
    if (c && c->dtype() == qc::ir::DType::kF32) out.push_back(c->ToVector<float>().value());
  }
  return out;
}

}  // namespace

TEST_CASE("a tail average scores the raw weights before its tail, then exports the mean of the tail's states") {
  if (!HaveGlueData()) return;
  const qc::qat::TrainData& data = Sst2();
  const qc::ir::Graph start = TinyClassifier();
  qc::qat::TrainerOptions o = EightTiSteps();  // evaluations at steps 3, 6 and 8
  qc::ir::Graph raw = start, one = start, two = start;
  auto r_raw = qc::qat::Train(raw, data, o);
  o.average_tail = 1.0 / 8.0;  // the last step alone: its mean is the raw last state
  auto r_one = qc::qat::Train(one, data, o);
  o.average_tail = 0.25;  // steps 7 and 8
  auto r_two = qc::qat::Train(two, data, o);
  REQUIRE((r_raw.ok() && r_one.ok() && r_two.ok()));
  CHECK(SameConstants(one, raw));
  CHECK(r_one->eval_logits.values == r_raw->eval_logits.values);
  CHECK(r_two->step_losses == r_raw->step_losses);  // training runs on the raw weights
  REQUIRE(r_two->curve.size() == 3);
  for (size_t i = 0; i < 2; ++i) {  // before the tail: the raw weights, scored once
    CHECK(r_two->curve[i].score == r_raw->curve[i].score);
    CHECK(r_two->curve[i].raw_score == r_raw->curve[i].score);
  }
  CHECK(r_two->curve[2].raw_score == r_raw->curve[2].score);
  std::vector<double> targets;
  for (const qc::qat::EncodedExample& e : data.eval) targets.push_back(e.label);
  CHECK(qc::qat::MetricOfLogits(o.metric, r_two->eval_logits, targets) == r_two->last_score);

  // The state after step 7, from a raw run's checkpoint, written back the way the trainer does.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "qc_qat_tail_average_test";
  o.average_tail = 0.0;
  qc::ir::Graph seven = start;
  RunInPieces(seven, data, o, dir, {7});
  auto model = qc::qat::TorchModel::Build(start);
  REQUIRE(model.ok());
  REQUIRE(qc::qat::ApplyQuantRecipe(**model, o.quant).ok());
  qc::qat::TrainerState state;
  REQUIRE(qc::qat::LoadCheckpoint((dir / "last.pt").string(), **model, nullptr, &state).ok());
  CHECK(state.step == 7);
  REQUIRE(qc::qat::WriteBackWeights(**model, seven).ok());
  const auto p7 = FloatConstants(seven), p8 = FloatConstants(raw), mean = FloatConstants(two);
  REQUIRE((p7.size() == p8.size() && p8.size() == mean.size()));
  size_t differ = 0;
  for (size_t t = 0; t < mean.size(); ++t) {
    REQUIRE(mean[t].size() == p8[t].size());
    for (size_t i = 0; i < mean[t].size(); ++i) {
      const float expect = 0.5f * p7[t][i] + 0.5f * p8[t][i];  // a = 0·a + 1·p7, then a = ½·a + ½·p8
      if (mean[t][i] != expect) ++differ;
    }
  }
  CHECK(differ == 0);
  CHECK_FALSE(SameConstants(two, raw));

  qc::ir::Graph c = start;
  o.average_tail = 0.25;
  const PiecewiseRun pieces = RunInPieces(c, data, o, dir, {5, 2, -1});  // stops before and inside the tail
  CHECK(pieces.losses == r_two->step_losses);
  CHECK(pieces.last.last_score == r_two->last_score);
  CHECK(SameConstants(c, two));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the trainer refuses a tail fraction outside [0, 1] and both kinds of average at once") {
  qc::qat::TrainData data;
  data.train.resize(1);
  qc::ir::Graph g = TinyClassifier();
  qc::qat::TrainerOptions o = EightTiSteps();
  o.average_tail = 1.5;
  auto r = qc::qat::Train(g, data, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("average_tail must be in [0, 1]") != std::string::npos);
  o.average_tail = 0.5;
  o.average_decay = 0.9;
  r = qc::qat::Train(g, data, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("exclude each other") != std::string::npos);
}
