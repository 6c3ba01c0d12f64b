// The training loop (qat/trainer.h): float fine-tuning then KD-QAT and two-step TI on a real SST-2 subset, whole-run
// determinism, exact resume, write-back and annotations.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>

#include "importers/hf/hf_importer.h"
#include "qat/classifier_head.h"
#include "qat/trainer.h"
#include "qat/trainer_support.h"
#include "tests/qat/synthetic_encoder.h"
#include "tests/qat/trainer_fixtures.h"

using namespace qc::qat::test;  // NOLINT(google-build-using-namespace): the shared fixtures

namespace {

double Mean(const std::vector<double>& v, size_t from, size_t to) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from), v.begin() + static_cast<std::ptrdiff_t>(to),
                         0.0) / static_cast<double>(to - from);
}

}  // namespace

TEST_CASE("SST-2 subset: float fine-tuning makes a teacher, KD-QAT and two-step TI improve their loss") {
  if (!HaveGlueData()) return;
  const qc::qat::TrainData& data = Sst2();
  REQUIRE(data.train.size() == 200);
  qc::ir::Graph graph = TinyClassifier();
  qc::qat::TrainerOptions ft;
  ft.mode = qc::qat::DistillMode::kNone;
  ft.steps = 40;
  ft.batch_size = 16;
  ft.optimizer.lr = 2e-3;
  ft.eval_every = 20;
  int calls = 0;
  int evals = 0;
  ft.progress = [&](const qc::qat::Progress& p) {
    ++calls;
    CHECK(p.total == 40);
    CHECK(p.step == calls);
    if (p.evaluated) {
      ++evals;
      CHECK(p.step % 20 == 0);
      CHECK(p.teacher_score > 0.0);
    }
  };
  auto teacher = qc::qat::Train(graph, data, ft);
  REQUIRE_MESSAGE(teacher.ok(), teacher.status().ToString());
  CHECK(calls == 40);
  CHECK(evals == 2);
  CHECK(teacher->curve.size() == 2);
  CHECK(Mean(teacher->step_losses, 30, 40) < Mean(teacher->step_losses, 0, 10));
  MESSAGE("fine-tune: dev accuracy " << teacher->teacher_score << " -> " << teacher->last_score << ", "
                                     << teacher->seconds_per_step * 1e3 << " ms/step");
  for (const qc::ir::Node& n : graph.nodes()) CHECK_FALSE(n.quant.has_value());  // float: no annotations

  for (qc::qat::DistillMode mode : {qc::qat::DistillMode::kKd, qc::qat::DistillMode::kTi}) {
    qc::ir::Graph student = graph;
    qc::qat::TrainerOptions o;
    o.mode = mode;
    o.steps = 30;
    o.ti_steps = 12;
    o.batch_size = 16;
    o.optimizer.lr = 1e-3;
    o.eval_every = 10;
    auto r = qc::qat::Train(student, data, o);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->teacher_score == doctest::Approx(teacher->last_score));  // the fine-tuned graph is the teacher
    CHECK(r->curve.size() == 3);
    // TI: step 2 restarts the warmup, so compare within each phase's end against the start of step 2.
    const size_t from = mode == qc::qat::DistillMode::kTi ? 12 : 0;
    CHECK(Mean(r->step_losses, 25, 30) < Mean(r->step_losses, from, from + 5));
    MESSAGE(qc::qat::DistillModeName(mode) << ": loss " << Mean(r->step_losses, 0, 5) << " -> "
                                          << Mean(r->step_losses, 25, 30) << ", dev " << r->last_score << " (teacher "
                                          << r->teacher_score << "), " << r->seconds_per_step * 1e3 << " ms/step");
    int annotated = 0;
    for (const qc::ir::Node& n : student.nodes()) annotated += n.quant.has_value();
    CHECK(annotated == 13 + 1 + 2);  // Linears but the classifier, word embedding, 2 attentions
    CHECK_FALSE(SameConstants(student, graph));  // trained weights written back
  }
}

TEST_CASE("whole runs are deterministic at any thread count and resume exactly (TI two-step, across the phase boundary)") {
  if (!HaveGlueData()) return;
  const qc::qat::TrainData& data = Sst2();
  const qc::ir::Graph start = TinyClassifier();
  qc::qat::TrainerOptions o = EightTiSteps();
  o.ti_schedule = qc::qat::TiSchedule::kStochastic;
  qc::ir::Graph a = start, b = start;
  auto ra = qc::qat::Train(a, data, o);
  o.threads = 2;  // the thread count only places the fixed shards: the same bits (qat/shard_runner.h)
  auto rb = qc::qat::Train(b, data, o);
  REQUIRE((ra.ok() && rb.ok()));
  CHECK(ra->step_losses == rb->step_losses);
  CHECK(SameConstants(a, b));
  CHECK(ra->eval_logits.values == rb->eval_logits.values);

  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "qc_qat_resume_test";
  qc::ir::Graph c = start;
  // Stops at steps 2, 4 (the phase boundary) and runs to 8 in the third call.
  const PiecewiseRun pieces = RunInPieces(c, data, o, dir, {2, 2, -1});
  const qc::qat::TrainResult& rc = pieces.last;
  REQUIRE(rc.curve.size() == ra->curve.size());
  for (size_t i = 0; i < rc.curve.size(); ++i) {
    CHECK(rc.curve[i].step == ra->curve[i].step);
    CHECK(rc.curve[i].score == ra->curve[i].score);
    CHECK(rc.curve[i].loss == ra->curve[i].loss);
  }
  CHECK(rc.best_score == ra->best_score);
  CHECK(rc.best_step == ra->best_step);
  CHECK(pieces.losses == ra->step_losses);
  CHECK(SameConstants(c, a));
  CHECK(std::filesystem::exists(dir / "best.pt"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a resume refuses a checkpoint of a run with other settings and names the setting") {
  if (!HaveGlueData()) return;
  const qc::qat::TrainData& data = Sst2();
  const qc::ir::Graph start = TinyClassifier();
  qc::qat::TrainerOptions o;
  o.mode = qc::qat::DistillMode::kKd;
  o.steps = 4;
  o.batch_size = 16;
  o.optimizer.lr = 1e-3;
  o.threads = 1;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "qc_qat_resume_settings_test";
  std::filesystem::remove_all(dir);
  o.checkpoint_dir = dir.string();
  o.resume = true;
  o.stop_after = 2;
  qc::ir::Graph g = start;
  REQUIRE(qc::qat::Train(g, data, o).ok());
  o.stop_after = -1;
  const auto refused = [&](qc::qat::TrainerOptions changed, const qc::qat::TrainData& d, const qc::ir::Graph& from) {
    qc::ir::Graph copy = from;
    auto r = qc::qat::Train(copy, d, changed);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  qc::qat::TrainerOptions other_lr = o;
  other_lr.optimizer.lr = 2e-3;
  const std::string lr_message = refused(other_lr, data, start);
  CHECK(lr_message.find("last.pt") != std::string::npos);
  CHECK(lr_message.find("lr 0.001") != std::string::npos);
  CHECK(lr_message.find("this run has 0.002") != std::string::npos);
  qc::qat::TrainerOptions clips = o;
  clips.quant.learn_act_clip = true;
  CHECK(refused(clips, data, start).find("learn act clip false, this run has true") != std::string::npos);
  qc::qat::TrainerOptions averaged = o;
  averaged.average_decay = 0.99;
  CHECK(refused(averaged, data, start).find("had no weight average decay, this run has 0.99") != std::string::npos);
  qc::qat::TrainData fewer = data;
  fewer.train.pop_back();
  CHECK(refused(o, fewer, start).find("train data 200 examples") != std::string::npos);
  qc::ir::Graph other_start = TinyClassifier();
  for (size_t i = 0; i < other_start.num_values(); ++i) {  // one weight moved by one ulp
    qc::ir::Value& v = other_start.mutable_value(static_cast<qc::ir::ValueId>(i));
    if (!v.constant || v.constant->dtype() != qc::ir::DType::kF32) continue;
    std::vector<float> w = v.constant->ToVector<float>().value();
    w[0] = std::nextafter(w[0], 1e9f);
    v.constant = qc::ir::Tensor::FromVector(v.constant->dims(), std::move(w)).value();
    break;
  }
  CHECK(refused(o, data, other_start).find("start model") != std::string::npos);
  // Settings that cannot change the trajectory do not block a resume.
  o.threads = 2;
  auto resumed = qc::qat::Train(g, data, o);
  REQUIRE_MESSAGE(resumed.ok(), resumed.status().ToString());
  CHECK(resumed->step_losses.size() == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("learned activation clips train at their own lr, resume exactly and reach Node::quant") {
  if (!HaveGlueData()) return;
  const qc::qat::TrainData& data = Sst2();
  const qc::ir::Graph start = TinyClassifier();
  qc::qat::TrainerOptions o;
  o.mode = qc::qat::DistillMode::kKd;
  o.steps = 6;
  o.batch_size = 16;
  o.optimizer.lr = 1e-4;
  o.optimizer.warmup = 0.0;
  o.act_clip_lr = 0.05;  // large, so six steps move the clips visibly
  o.quant.learn_act_clip = true;
  o.quant.act_clip = 1.0f;
  o.threads = 1;
  const auto clips_of = [](const qc::ir::Graph& g) {
    std::vector<double> clips;
    for (const qc::ir::Node& node : g.nodes()) {
      if (node.op == qc::ir::OpType::kLinear && node.quant && node.quant->activation) {
        clips.push_back(node.quant->activation->clip.value_or(-1.0));
      }
    }
    return clips;
  };
  qc::ir::Graph a = start;
  auto ra = qc::qat::Train(a, data, o);
  REQUIRE_MESSAGE(ra.ok(), ra.status().ToString());
  const std::vector<double> trained = clips_of(a);
  REQUIRE(trained.size() == 13);  // 2 x 6 layer Linears + the pooler
  int moved = 0;
  for (double c : trained) {
    CHECK(c > 0.0);
    // BertAdam (no bias correction) moves a parameter by at most lr·(1 − β1^t)/√(1 − β2^t) at step t: 29.7·lr in
    // six steps. The weights' lr (1e-4) could not move a clip by more than 0.003.
    CHECK(std::fabs(c - 1.0) <= 29.8 * 0.05);
    moved += std::fabs(c - 1.0) > 1e-3;
  }
  CHECK(moved >= 10);

  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "qc_qat_clip_resume_test";
  qc::ir::Graph c = start;
  CHECK(RunInPieces(c, data, o, dir, {3, -1}).losses == ra->step_losses);
  CHECK(clips_of(c) == trained);
  CHECK(SameConstants(c, a));
  std::filesystem::remove_all(dir);
}

TEST_CASE("keep_best writes back the best evaluated state, not the last") {
  if (!HaveGlueData()) return;
  const qc::qat::TrainData& data = Sst2();
  const qc::ir::Graph start = TinyClassifier();
  qc::qat::TrainerOptions o;
  o.mode = qc::qat::DistillMode::kNone;
  o.steps = 40;
  o.batch_size = 16;
  o.optimizer.lr = 2e-3;
  o.eval_every = 4;
  o.threads = 1;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "qc_qat_keep_best_test";
  std::filesystem::remove_all(dir);
  o.checkpoint_dir = dir.string();
  qc::ir::Graph last_graph = start, best_graph = start;
  auto last = qc::qat::Train(last_graph, data, o);
  REQUIRE_MESSAGE(last.ok(), last.status().ToString());
  o.keep_best = true;
  auto best = qc::qat::Train(best_graph, data, o);
  REQUIRE_MESSAGE(best.ok(), best.status().ToString());
  std::vector<double> targets;
  for (const qc::qat::EncodedExample& e : data.eval) targets.push_back(e.label);
  MESSAGE("scores by step: best " << best->best_score << " at " << best->best_step << ", last " << best->last_score);
  REQUIRE(best->best_step != o.steps);  // the case this test is about
  REQUIRE(best->best_score > best->last_score);
  CHECK(last->exported_step == o.steps);
  CHECK(qc::qat::MetricOfLogits(o.metric, last->eval_logits, targets) == last->last_score);
  CHECK(best->exported_step == best->best_step);
  CHECK(qc::qat::MetricOfLogits(o.metric, best->eval_logits, targets) == best->best_score);
  CHECK(best->step_losses == last->step_losses);  // the same run; only what is written back differs
  CHECK_FALSE(SameConstants(best_graph, last_graph));
  std::filesystem::remove_all(dir);

  o.checkpoint_dir.clear();  // best.pt is where the best state lives
  qc::ir::Graph g = start;
  auto no_dir = qc::qat::Train(g, data, o);
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.status().message().find("keep_best") != std::string::npos);
}

TEST_CASE("trainer errors are Status values") {
  qc::ir::Graph g = TinyClassifier();
  qc::qat::TrainData empty;
  CHECK_FALSE(qc::qat::Train(g, empty, {}).ok());
  qc::qat::TrainData bad;
  qc::qat::EncodedExample out_of_vocab;
  out_of_vocab.ids = {101, 40000, 102};  // id outside the vocabulary
  out_of_vocab.type_ids = {0, 0, 0};
  out_of_vocab.label = 1.0;
  bad.train.push_back(out_of_vocab);
  qc::qat::TrainerOptions o;
  o.steps = 1;
  auto r = qc::qat::Train(g, bad, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("training step 0") != std::string::npos);
  o.mode = qc::qat::DistillMode::kTi;
  o.ti_steps = 5;
  bad.train[0].ids[1] = 5;
  CHECK_FALSE(qc::qat::Train(g, bad, o).ok());  // ti_steps >= steps
}

TEST_CASE("checkpoints are replaced whole, leave no temp file, and a save that cannot write names the path") {
  auto model = qc::qat::TorchModel::Build(TinyClassifier());
  REQUIRE(model.ok());
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "qc_qat_checkpoint_save_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "last.pt").string();
  qc::qat::TrainerState state;
  state.step = 3;
  REQUIRE(qc::qat::SaveCheckpoint(path, **model, nullptr, state).ok());
  state.step = 4;
  REQUIRE(qc::qat::SaveCheckpoint(path, **model, nullptr, state).ok());  // over the previous one
  auto read = qc::qat::ReadCheckpointState(path);
  REQUIRE(read.ok());
  CHECK(read->step == 4);
  CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 1);

  const std::string missing = (dir / "gone" / "last.pt").string();
  const qc::Status failed = qc::qat::SaveCheckpoint(missing, **model, nullptr, state);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.message().find(missing) != std::string::npos);
  std::filesystem::remove_all(dir);
}

namespace {

// Seconds per optimizer step of a KD-QAT run (teacher forward + fake-quant student forward/backward + BertAdam) on
// random ids of full length, 2 threads.
double StepSeconds(const qc::qat::test::SyntheticEncoderSpec& spec, int64_t batch, int64_t length, int64_t steps) {
  qc::ir::Graph g = qc::qat::test::BuildSyntheticEncoder(spec).value();
  qc::qat::TrainData data;
  std::mt19937 rng(3);
  for (int64_t i = 0; i < batch * 2; ++i) {
    qc::qat::EncodedExample e;
    for (int64_t t = 0; t < length; ++t) e.ids.push_back(static_cast<int64_t>(rng() % spec.vocab));
    e.type_ids.assign(static_cast<size_t>(length), 0);
    e.label = static_cast<double>(i % 2);
    data.train.push_back(std::move(e));
  }
  qc::qat::TrainerOptions o;
  o.steps = steps;
  o.batch_size = batch;
  o.threads = 2;
  auto r = qc::qat::Train(g, data, o);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  for (double l : r->step_losses) CHECK(std::isfinite(l));
  return r->seconds_per_step;
}

}  // namespace

TEST_CASE("QAT step time (reported, not asserted)") {
  qc::qat::test::SyntheticEncoderSpec tiny;  // 2 layers, hidden 32, 2 heads, FFN 64, vocab 100
  tiny.labels = 2;
  const double t = StepSeconds(tiny, 32, 64, 4);
  CHECK(t > 0.0);
  MESSAGE("KD-QAT step, tiny 2L/32/2h/FFN64, batch 32x64, 2 threads: " << t * 1e3 << " ms");
  if (std::getenv("QC_QAT_SPEED_4L") != nullptr) {  // ~seconds per step with netlib BLAS: opt-in
    qc::qat::test::SyntheticEncoderSpec big;
    big.layers = 4;
    big.hidden = 256;
    big.heads = 4;
    big.ffn = 1024;
    big.vocab = 30522;
    big.labels = 2;
    const double tb = StepSeconds(big, 32, 64, 3);
    MESSAGE("KD-QAT step, 4L/256/4h/FFN1024 vocab 30522, batch 32x64, 2 threads: " << tb << " s");
  }
}

TEST_CASE("a bare encoder import gets a classifier head, its own tokenizer, and fine-tunes into a teacher") {
  if (!HaveGlueData()) return;
  qc::hf::HfImportOptions io;
  io.output = qc::hf::HfOutput::kLastHiddenState;
  auto imported = qc::hf::ImportHfDirectory((qc::test::FixturesDir() / "hf" / "bert_tiny").string(), io);
  REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
  qc::ir::Graph graph = std::move(imported->graph);
  qc::qat::ClassifierHeadOptions head;
  head.num_labels = 2;
  REQUIRE(qc::qat::AddClassifierHead(graph, head).ok());
  CHECK_FALSE(qc::qat::AddClassifierHead(graph, head).ok());  // already has logits
  REQUIRE(graph.outputs().size() == 1);
  CHECK(graph.value(graph.outputs()[0]).name == "logits");
  auto tok = qc::qat::TokenizerFromGraph(graph);  // the importer's tokenizer.* metadata
  REQUIRE_MESSAGE(tok.ok(), tok.status().ToString());
  qc::qat::DatasetOptions d;
  d.max_examples = 200;
  qc::qat::TrainData data;
  data.train = qc::qat::EncodeDataset(*tok, qc::qat::ReadGlueTsv(Shared("glue/SST-2/train.tsv").string(), d).value(),
                                      32).value();
  qc::qat::TrainerOptions o;
  o.mode = qc::qat::DistillMode::kNone;
  o.steps = 24;
  o.batch_size = 16;
  o.optimizer.lr = 2e-3;
  auto ft = qc::qat::Train(graph, data, o);
  REQUIRE_MESSAGE(ft.ok(), ft.status().ToString());
  CHECK(Mean(ft->step_losses, 18, 24) < Mean(ft->step_losses, 0, 6));
  o.mode = qc::qat::DistillMode::kKdQat;
  o.steps = 6;
  auto kd = qc::qat::Train(graph, data, o);
  REQUIRE_MESSAGE(kd.ok(), kd.status().ToString());
  int annotated = 0;
  for (const qc::ir::Node& n : graph.nodes()) annotated += n.quant.has_value();
  CHECK(annotated == 2 * 6 + 1 + 1 + 2);  // bert_tiny: 2 layers; pooler; word embedding; attentions
}
