#include "qcompress/task_data.h"

#include "qat/data/builtin_corpus.h"
#include "qat/data/image_data.h"

#include <algorithm>
#include <filesystem>

namespace qc::tools {
namespace fs = std::filesystem;

namespace {

Expected<qat::DatasetOptions> DatasetOptionsFromFlags(const CompressOptions& o, qat::TaskKind kind) {
  qat::DatasetOptions d;
  d.kind = kind;
  if (o.text_columns.empty() && o.label_column < 0) {
    if (o.no_header) return InvalidArgument("--no-header needs the columns: --text-col N [--text-col N] --label-col N");
    return d;  // detect from the header
  }
  if (o.text_columns.empty() || o.text_columns.size() > 2) {
    return InvalidArgument("--text-col must be given once (single sentences) or twice (pairs)");
  }
  qat::TsvLayout layout;
  layout.text_a = o.text_columns[0];
  layout.text_b = o.text_columns.size() == 2 ? o.text_columns[1] : -1;
  layout.label = o.label_column;
  layout.header = !o.no_header;
  d.layout = layout;
  return d;
}

// A .txt file is unlabeled text; everything else is a TSV.
Expected<qat::Dataset> ReadSet(const std::string& path, const qat::DatasetOptions& d) {
  if (!fs::is_regular_file(path)) return NotFound(path + ": no such file");
  if (fs::path(path).extension() == ".txt") return qat::ReadTextLines(path);
  return qat::ReadGlueTsv(path, d);
}

// Rows of the model's position table (the longest sequence it takes), or 0 when it has none.
int64_t MaxPositions(const ir::Graph& graph) {
  for (const ir::Node& node : graph.nodes()) {
    if (node.erased || node.op != ir::OpType::kAddPositionEmbedding || node.inputs.size() < 2) continue;
    const ir::Value& table = graph.value(node.inputs[1]);
    if (table.constant && !table.constant->dims().empty()) return table.constant->dims()[0];
  }
  return 0;
}

// An image model (ViT): --data / --eval are folders with images.npy and labels.npy, or with one folder of PNG/JPEG
// images per class (the eval set's class folders map to the training set's indices).
Expected<TaskData> LoadImageTask(const CompressOptions& o, const qat::ImageSpecOfModel& spec, TaskData task) {
  if (task.kind == qat::TaskKind::kRegression) return InvalidArgument("--task regression: image models classify");
  int classes = 0;
  std::vector<std::string> class_names;
  if (o.data_path.empty() && o.distill != "none") {
    return InvalidArgument("--distill " + o.distill + " on an image model needs --data: a folder of images.npy + "
                           "labels.npy, or of PNG/JPEG images in one subfolder per class (there is no built-in "
                           "image set)");
  }
  if (!o.data_path.empty()) {
    QC_ASSIGN_OR_RETURN(task.train, qat::ReadImageDataset(o.data_path, spec, &classes, &class_names));
    if (task.train.empty()) return InvalidArgument(o.data_path + ": no images");
    task.labeled_train = true;
    task.num_labels = std::max(task.num_labels, classes);
  }
  if (!o.eval_path.empty()) {
    QC_ASSIGN_OR_RETURN(task.eval, qat::ReadImageDataset(o.eval_path, spec, &classes, &class_names));
    if (task.eval.empty()) return InvalidArgument(o.eval_path + ": no images");
    task.num_labels = std::max(task.num_labels, classes);
    task.eval_targets = Targets(task.eval);
    task.eval_description = fs::path(o.eval_path).filename().string() + ", " + std::to_string(task.eval.size()) +
                            " images";
  }
  return task;
}

}  // namespace

std::vector<double> Targets(const std::vector<qat::EncodedExample>& examples) {
  std::vector<double> t;
  t.reserve(examples.size());
  for (const qat::EncodedExample& e : examples) t.push_back(e.label);
  return t;
}

Expected<TaskData> LoadTaskData(const CompressOptions& o, const ir::Graph& graph) {
  TaskData task;
  if (o.task == "regression") {
    task.kind = qat::TaskKind::kRegression;
    task.metric = qat::MetricKind::kPearson;
  } else if (o.task != "classification") {
    return InvalidArgument("--task must be classification or regression, got '" + o.task + "'");
  }
  if (!o.metric.empty() && !qat::ParseMetricKind(o.metric, &task.metric)) {
    return InvalidArgument("--metric must be accuracy, f1, mcc, pearson or spearman, got '" + o.metric + "'");
  }
  if (o.max_length != 0 && o.max_length < 8) return InvalidArgument("--max-length must be at least 8");
  if (auto image = qat::ImageSpecFromGraph(graph); image.ok()) return LoadImageTask(o, *image, std::move(task));
  QC_ASSIGN_OR_RETURN(qat::DatasetOptions dataset_options, DatasetOptionsFromFlags(o, task.kind));
  auto tokenizer = qat::TokenizerFromGraph(graph);
  if (!tokenizer.ok()) {
    return FailedPrecondition("the model carries no tokenizer, so --data / --eval text cannot be encoded (" +
                              tokenizer.status().message() + "); give --tokenizer for an ONNX file");
  }
  const TokenizerConfig& tc = tokenizer->config();
  task.pad_id = tokenizer->TokenToId(tc.pad_token);
  task.pad_type_id = tc.pad_token_type_id;
  // Default: 128 tokens, or fewer when the model or its tokenizer cannot take that many.
  int64_t length = o.max_length;
  const int64_t positions = MaxPositions(graph);
  if (length == 0) {
    length = std::min<int64_t>(128, static_cast<int64_t>(tc.model_max_length));
    if (positions > 0) length = std::min(length, positions);
  } else if (positions > 0 && length > positions) {
    return InvalidArgument("--max-length " + std::to_string(length) + " exceeds the model's " +
                           std::to_string(positions) + " positions");
  }
  task.max_length = length;
  const auto max_length = static_cast<size_t>(length);
  const bool builtin = o.data_path.empty() && o.distill != "none";
  if (!o.data_path.empty() || builtin) {
    qat::Dataset train;
    if (builtin) {
      train = qat::BuiltinCorpus();
      task.builtin_corpus = true;
    } else {
      QC_ASSIGN_OR_RETURN(train, ReadSet(o.data_path, dataset_options));
      if (train.examples.empty()) return InvalidArgument(o.data_path + ": no examples");
    }
    task.labeled_train = std::all_of(train.examples.begin(), train.examples.end(),
                                     [](const qat::Example& e) { return e.has_label; });
    task.num_labels = std::max(task.num_labels, train.num_labels);
    QC_ASSIGN_OR_RETURN(task.train, qat::EncodeDataset(*tokenizer, train, max_length));
  }
  if (!o.eval_path.empty()) {
    QC_ASSIGN_OR_RETURN(qat::Dataset eval, ReadSet(o.eval_path, dataset_options));
    if (eval.examples.empty()) return InvalidArgument(o.eval_path + ": no examples");
    for (size_t i = 0; i < eval.examples.size(); ++i) {
      if (!eval.examples[i].has_label) {
        return InvalidArgument(o.eval_path + ": example " + std::to_string(i + 1) +
                               " has no label; --eval needs a labeled file");
      }
    }
    task.num_labels = std::max(task.num_labels, eval.num_labels);
    QC_ASSIGN_OR_RETURN(task.eval, qat::EncodeDataset(*tokenizer, eval, max_length));
    task.eval_targets = Targets(task.eval);
    task.eval_description = fs::path(o.eval_path).filename().string() + ", " + std::to_string(task.eval.size()) +
                            " examples";
  }
  if (task.kind == qat::TaskKind::kRegression) task.num_labels = 1;
  return task;
}

}  // namespace qc::tools
