// qcrun eval: accuracy of a text classifier .qm on a GLUE-style dev TSV, tokenized by the model's own tokenizer,
// or of an image classifier on a folder of PNG/JPEG images with one subfolder per class.
//
//   qcrun eval sst2.qm --data glue/SST-2/dev.tsv                      # columns found from the header
//   qcrun eval rte.qm --data glue/RTE/dev.tsv --json
//   qcrun eval cola.qm --data CoLA/dev.tsv --text-col 3 --label-col 1 # explicit: 0-based index or header name
//   qcrun eval vit.qm --data digits/test_png                          # DIR/<class>/*.png (qat/data/image_files.h)
//
// Column detection ("auto", when neither --text-col nor --label-col is given): a header naming a label column
// (label, gold_label, is_duplicate, Quality) and one or two text columns (sentence; sentence1 + sentence2;
// question + sentence; question1 + question2; #1 String + #2 String; premise + hypothesis; text), or CoLA's
// headerless 4-column layout (text in column 3, label in column 1). Two text columns are encoded as a pair.
// Labels are class indices or class names; names map through the model's labels.names metadata. The prediction is
// the arg-max of the model's [batch, classes] output ("logits" when there are several). Two-class tasks also get
// Matthews correlation and F1 of class 1.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace qc::tools {

struct EvalOptions {
  std::string path;
  std::string data;
  std::vector<std::string> text_cols;  ///< empty: auto; one column, or two for sentence pairs
  std::string label_col;               ///< empty: auto
  int64_t batch = 16;  ///< texts or images per run
  int64_t max_length = 0;  ///< truncate token sequences; 0: the tokenizer's model_max_length
  int64_t limit = 0;       ///< evaluate only the first N examples; 0: all
  int threads = 1;         ///< SessionOptions::num_threads (results do not depend on it)
  bool json = false;
};

/// Metrics of a confusion matrix [gold][predicted]. Two classes add Matthews correlation (0 when a row or column
/// is empty, scikit-learn's convention) and F1 of class 1.
struct ClassMetrics {
  int64_t examples = 0;
  int64_t correct = 0;
  double accuracy = 0.0;
  std::optional<double> mcc;
  std::optional<double> f1;
};
ClassMetrics ComputeMetrics(const std::vector<std::vector<int64_t>>& confusion);

/// Returns the process exit code (0 ok, 1 bad model, data file or failed run, 2 usage error).
int RunEval(const EvalOptions& options, std::ostream& out, std::ostream& err);

}  // namespace qc::tools
