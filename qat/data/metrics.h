// qat/metrics.h: GLUE evaluation metrics (method.md §7). Torch-free.
//
//   Accuracy, binary F1 (positive class 1), Matthews correlation (binary), Pearson and Spearman (average ranks for
//   ties). Degenerate inputs (empty, zero variance, no positives) give 0 rather than NaN, as sklearn/scipy's
//   callers in the GLUE scripts effectively report.
//
//   double acc = qc::qat::Accuracy(predictions, labels);
//   qc::qat::MetricKind m = qc::qat::DefaultMetric("CoLA");   // kMcc
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace qc::qat {

enum class MetricKind : uint8_t { kAccuracy, kF1, kMcc, kPearson, kSpearman };
std::string_view MetricName(MetricKind metric);

double Accuracy(const std::vector<int>& predictions, const std::vector<int>& labels);
double F1(const std::vector<int>& predictions, const std::vector<int>& labels);
double Mcc(const std::vector<int>& predictions, const std::vector<int>& labels);
double Pearson(const std::vector<double>& x, const std::vector<double>& y);
double Spearman(const std::vector<double>& x, const std::vector<double>& y);

/// Classification metrics on argmax predictions; correlations on regression outputs.
double ComputeMetric(MetricKind metric, const std::vector<double>& outputs, const std::vector<double>& targets,
                     const std::vector<int>& predictions);

/// A model's outputs on an eval set: `rows` x `classes` logits, row-major (regression: classes == 1).
struct LogitRows {
  size_t classes = 0;
  std::vector<float> values;
  size_t rows() const { return classes == 0 ? 0 : values.size() / classes; }
  /// Argmax of each row (the first maximum on ties, as torch.argmax).
  std::vector<int> Argmax() const;
};

/// ComputeMetric on logits: argmax predictions, and column 0 as the regression output.
double MetricOfLogits(MetricKind metric, const LogitRows& logits, const std::vector<double>& targets);

/// Fraction of rows whose argmax agrees (1 when both are empty); rows and classes must match, else 0.
double PredictionAgreement(const LogitRows& a, const LogitRows& b);

/// Largest |a - b| over every output of every row (0 when both are empty); rows and classes must match, else +inf.
/// For regression, where argmax agreement says nothing, this is how far two models' predictions are apart.
double LargestOutputDifference(const LogitRows& a, const LogitRows& b);

/// Parses "accuracy", "f1", "mcc", "pearson", "spearman"; false when unknown.
bool ParseMetricKind(std::string_view text, MetricKind* metric);

}  // namespace qc::qat
