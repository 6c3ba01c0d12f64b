// Shared fixtures of the trainer tests (trainer_test.cc, trainer_average_test.cc): a tiny synthetic classifier, a
// real SST-2 subset, and helpers for multi-step and resumed runs.
#pragma once

// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "importers/hf/hf_importer.h"
#include "qat/trainer.h"
#include "tests/qat/synthetic_encoder.h"
#include "tests/support/test_paths.h"

namespace qc::qat::test {

inline std::filesystem::path Shared(const std::string& relative) {
  return qc::test::SharedDir() / "data" / relative;
}

// The SST-2 cases need ../shared/data; without it they say so and skip.
inline bool HaveGlueData() {
  if (std::filesystem::exists(Shared("glue/SST-2/train.tsv"))) return true;
  MESSAGE("skipping: shared GLUE data not found at " << Shared("glue").string() << " (../shared is absent)");
  return false;
}

inline qc::ir::Graph TinyClassifier() {
  qc::qat::test::SyntheticEncoderSpec spec;
  spec.vocab = 30522;
  spec.labels = 2;
  spec.hidden = 32;
  spec.ffn = 64;
  spec.max_positions = 64;
  return qc::qat::test::BuildSyntheticEncoder(spec).value();
}

// 200 SST-2 training rows and 100 dev rows, tokenized with the bert-base-uncased vocabulary, length <= 32.
inline const qc::qat::TrainData& Sst2() {
  static const qc::qat::TrainData data = [] {
    std::ifstream in(Shared("bert-base-uncased/vocab.txt"), std::ios::binary);
    const std::string vocab((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto tok = qc::WordPieceTokenizer::FromVocabText(vocab).value();
    qc::qat::DatasetOptions o;
    o.max_examples = 200;
    auto train = qc::qat::ReadGlueTsv(Shared("glue/SST-2/train.tsv").string(), o).value();
    o.max_examples = 100;
    auto dev = qc::qat::ReadGlueTsv(Shared("glue/SST-2/dev.tsv").string(), o).value();
    qc::qat::TrainData d;
    d.train = qc::qat::EncodeDataset(tok, train, 32).value();
    d.eval = qc::qat::EncodeDataset(tok, dev, 32).value();
    return d;
  }();
  return data;
}

inline bool SameConstants(const qc::ir::Graph& a, const qc::ir::Graph& b) {
  if (a.num_values() != b.num_values()) return false;
  for (size_t i = 0; i < a.num_values(); ++i) {
    const auto& ca = a.value(static_cast<qc::ir::ValueId>(i)).constant;
    const auto& cb = b.value(static_cast<qc::ir::ValueId>(i)).constant;
    if (static_cast<bool>(ca) != static_cast<bool>(cb)) return false;
    if (ca &&
        (ca->byte_size() != cb->byte_size() || std::memcmp(ca->raw_data(), cb->raw_data(), ca->byte_size()) != 0)) {
      return false;
    }
  }
  return true;
}

// Eight TI steps (four under intervention), evaluated every three: small enough for seconds, long enough to cross
// the phase boundary between evaluations.
inline qc::qat::TrainerOptions EightTiSteps() {
  qc::qat::TrainerOptions o;
  o.mode = qc::qat::DistillMode::kTi;
  o.steps = 8;
  o.ti_steps = 4;
  o.batch_size = 16;
  o.optimizer.lr = 1e-3;
  o.eval_every = 3;
  o.threads = 1;
  return o;
}

// A run cut into calls that stop after `stops` steps each (-1: to the end), each call resuming from the previous
// one's dir/last.pt (the directory starts empty): every call's step losses in order, and the last call's result.
struct PiecewiseRun {
  std::vector<double> losses;
  qc::qat::TrainResult last;
};

inline PiecewiseRun RunInPieces(qc::ir::Graph& graph, const qc::qat::TrainData& data, qc::qat::TrainerOptions o,
                                const std::filesystem::path& dir, std::initializer_list<int64_t> stops) {
  std::filesystem::remove_all(dir);
  o.checkpoint_dir = dir.string();
  o.resume = true;
  PiecewiseRun run;
  for (int64_t stop : stops) {
    o.stop_after = stop;
    auto r = qc::qat::Train(graph, data, o);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    run.losses.insert(run.losses.end(), r->step_losses.begin(), r->step_losses.end());
    run.last = std::move(*r);
  }
  return run;
}

}  // namespace qc::qat::test
