// qat/data/glue_data.h: GLUE-style TSV and plain-text datasets, tokenized with the runtime WordPiece tokenizer,
// batched with seeded shuffling, length bucketing and dynamic padding. Torch-free.
//
// Overview
//   ReadGlueTsv reads single-sentence or pair tasks, classification or regression. The column layout comes from
//   TsvLayout when given, else from the header (sentence / sentence1 / sentence2 / question / question1 / question2 /
//   #1 String / #2 String / premise / hypothesis / text for text; label / gold_label / Quality / is_duplicate /
//   score for the target), else from
//   CoLA's header-less 4-column shape; anything else is an error naming the file and line. String labels map through
//   label_names, or the standard GLUE sets (entailment/not_entailment; contradiction/entailment/neutral).
//   ReadTextLines gives unlabeled examples (one per non-empty line) for distillation without labels.
//   TokenizerFromGraph rebuilds the tokenizer from the graph's "tokenizer.*" metadata (docs/qm-format.md keys), the
//   same way the runtime does from a .qm.
//   MakeBatches: each epoch shuffles with a seeded Fisher-Yates (std::mt19937_64, portable), optionally sorts
//   windows of 50 batches by length (bucketing) and shuffles the batch order; PadBatch pads to the batch's longest.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::qat::Dataset train, qc::qat::ReadGlueTsv("SST-2/train.tsv", {}));
//   QC_ASSIGN_OR_RETURN(qc::WordPieceTokenizer tok, qc::qat::TokenizerFromGraph(graph));
//   QC_ASSIGN_OR_RETURN(auto encoded, qc::qat::EncodeDataset(tok, train, 64));
//   for (const auto& rows : qc::qat::MakeBatches(encoded, 32, seed, epoch, true)) {
//     qc::qat::PaddedBatch b = qc::qat::PadBatch(encoded, rows, pad_id);   ...
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "qcompress/status.h"
#include "tokenizer/wordpiece_tokenizer.h"

namespace qc::qat {

enum class TaskKind : uint8_t { kClassification, kRegression };

struct Example {
  std::string text_a;
  std::string text_b;  ///< empty for single-sentence tasks
  double label = 0.0;  ///< class index or regression target
  bool has_label = false;
};

struct TsvLayout {
  int text_a = -1;  ///< 0-based columns
  int text_b = -1;  ///< -1: single sentence
  int label = -1;   ///< -1: unlabeled
  bool header = true;
};

struct DatasetOptions {
  TaskKind kind = TaskKind::kClassification;
  std::optional<TsvLayout> layout;       ///< unset: detect
  std::vector<std::string> label_names;  ///< class i = label_names[i]; empty: integers or the GLUE sets
  size_t max_examples = 0;               ///< > 0: keep the first n rows
};

struct Dataset {
  std::vector<Example> examples;
  TaskKind kind = TaskKind::kClassification;
  int num_labels = 0;  ///< classification: max label + 1; regression: 1
  bool pairs = false;
};

Expected<Dataset> ReadGlueTsv(const std::string& path, const DatasetOptions& options);

/// The cells of one tab-separated line (no quoting: GLUE's files have none).
std::vector<std::string> SplitTsvLine(const std::string& line);
/// The layout ReadGlueTsv detects from a file's first line: a known header (pairs included: QNLI's question +
/// sentence, MNLI/SNLI's premise + hypothesis), else CoLA's header-less 4 columns; otherwise an error naming
/// `path`. Streaming readers (qcompress --calib) call it on the first line themselves.
Expected<TsvLayout> DetectTsvLayout(const std::string& path, const std::vector<std::string>& first_line_cells);
Expected<Dataset> ReadTextLines(const std::string& path, size_t max_examples = 0);

/// The tokenizer described by the graph's "tokenizer.*" metadata (an error naming the missing key).
Expected<WordPieceTokenizer> TokenizerFromGraph(const ir::Graph& graph);

struct EncodedExample {
  std::vector<int64_t> ids;
  std::vector<int64_t> type_ids;
  double label = 0.0;
  std::vector<float> pixels;         ///< image examples (qat/data/image_data.h): normalised [C, H, W]; ids empty
  std::vector<int64_t> image_shape;  ///< [C, H, W] of `pixels`
};
/// [CLS] a [SEP] (b [SEP]), truncated (longest first) to max_length.
Expected<std::vector<EncodedExample>> EncodeDataset(const WordPieceTokenizer& tokenizer, const Dataset& dataset,
                                                    size_t max_length);

/// Row indices per batch for one epoch (the last batch may be short). Same (seed, epoch) -> same batches.
std::vector<std::vector<size_t>> MakeBatches(const std::vector<EncodedExample>& data, size_t batch_size,
                                             uint64_t seed, int64_t epoch, bool bucketing);
/// Batches in file order (evaluation).
std::vector<std::vector<size_t>> SequentialBatches(size_t count, size_t batch_size);

struct PaddedBatch {
  int64_t batch = 0, length = 0;
  std::vector<int64_t> ids, mask, type_ids;  ///< [batch, length] row-major (empty for images)
  std::vector<double> labels;
  std::vector<float> pixels;         ///< images: [batch, C, H, W] row-major
  std::vector<int64_t> image_shape;  ///< [C, H, W]; empty for text
};
PaddedBatch PadBatch(const std::vector<EncodedExample>& data, const std::vector<size_t>& rows, int64_t pad_id,
                     int64_t pad_type_id = 0);

}  // namespace qc::qat
