// The task data of a qcompress run: --data (training) and --eval (evaluation) read, checked and tokenized once,
// with the model's own tokenizer, so training, the fake-quant student and the runtime see the same token ids.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "qat/data/glue_data.h"
#include "qat/data/metrics.h"
#include "qcompress/compress.h"
#include "qcompress/status.h"

namespace qc::tools {

struct TaskData {
  qat::TaskKind kind = qat::TaskKind::kClassification;
  qat::MetricKind metric = qat::MetricKind::kAccuracy;
  int num_labels = 0;  ///< classes seen in the labeled sets (regression: 1)
  bool labeled_train = false;
  bool builtin_corpus = false;  ///< training without --data: qat/data/builtin_corpus.h's sentences
  std::vector<qat::EncodedExample> train;  ///< empty without --data
  std::vector<qat::EncodedExample> eval;   ///< empty without --eval
  std::vector<double> eval_targets;
  int64_t pad_id = 0;
  int64_t pad_type_id = 0;
  int64_t max_length = 0;        ///< the sequence length used (--max-length, or the default)
  std::string eval_description;  ///< "dev.tsv, 872 examples"
};

/// Reads --data / --eval as the flags describe (a .txt file is unlabeled text, one example per line; anything else
/// a GLUE-style TSV). Distillation of a text model without --data trains on the built-in corpus (builtin_corpus).
/// InvalidArgument for flag problems (usage), other codes for unreadable or malformed files.
Expected<TaskData> LoadTaskData(const CompressOptions& options, const ir::Graph& graph);

/// The targets of `examples` (labels) in order.
std::vector<double> Targets(const std::vector<qat::EncodedExample>& examples);

}  // namespace qc::tools
