// GLUE metrics (qat/metrics.h).
#include "qat/data/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace qc::qat {

std::string_view MetricName(MetricKind metric) {
  switch (metric) {
    case MetricKind::kAccuracy: return "accuracy";
    case MetricKind::kF1: return "f1";
    case MetricKind::kMcc: return "mcc";
    case MetricKind::kPearson: return "pearson";
    case MetricKind::kSpearman: return "spearman";
  }
  return "invalid";
}

double Accuracy(const std::vector<int>& p, const std::vector<int>& l) {
  if (p.empty() || p.size() != l.size()) return 0.0;
  size_t hit = 0;
  for (size_t i = 0; i < p.size(); ++i) hit += p[i] == l[i];
  return static_cast<double>(hit) / static_cast<double>(p.size());
}

namespace {
struct Confusion {
  double tp = 0, tn = 0, fp = 0, fn = 0;
};
Confusion Count(const std::vector<int>& p, const std::vector<int>& l) {
  Confusion c;
  for (size_t i = 0; i < std::min(p.size(), l.size()); ++i) {
    if (p[i] == 1 && l[i] == 1) c.tp += 1;
    else if (p[i] == 1) c.fp += 1;
    else if (l[i] == 1) c.fn += 1;
    else c.tn += 1;
  }
  return c;
}
std::vector<double> Ranks(const std::vector<double>& x) {
  std::vector<size_t> idx(x.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && x[idx[j + 1]] == x[idx[i]]) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;  // average of i+1..j+1
    for (size_t k = i; k <= j; ++k) r[idx[k]] = rank;
    i = j + 1;
  }
  return r;
}
}  // namespace

double F1(const std::vector<int>& p, const std::vector<int>& l) {
  const Confusion c = Count(p, l);
  const double denom = 2 * c.tp + c.fp + c.fn;
  return denom > 0 ? 2 * c.tp / denom : 0.0;
}

double Mcc(const std::vector<int>& p, const std::vector<int>& l) {
  const Confusion c = Count(p, l);
  const double denom = std::sqrt((c.tp + c.fp) * (c.tp + c.fn) * (c.tn + c.fp) * (c.tn + c.fn));
  return denom > 0 ? (c.tp * c.tn - c.fp * c.fn) / denom : 0.0;
}

double Pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = std::min(x.size(), y.size());
  if (n < 2) return 0.0;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) mx += x[i], my += y[i];
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

double Spearman(const std::vector<double>& x, const std::vector<double>& y) { return Pearson(Ranks(x), Ranks(y)); }

double ComputeMetric(MetricKind metric, const std::vector<double>& outputs, const std::vector<double>& targets,
                     const std::vector<int>& predictions) {
  std::vector<int> labels(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) labels[i] = static_cast<int>(std::lround(targets[i]));
  switch (metric) {
    case MetricKind::kAccuracy: return Accuracy(predictions, labels);
    case MetricKind::kF1: return F1(predictions, labels);
    case MetricKind::kMcc: return Mcc(predictions, labels);
    case MetricKind::kPearson: return Pearson(outputs, targets);
    case MetricKind::kSpearman: return Spearman(outputs, targets);
  }
  return 0.0;
}

std::vector<int> LogitRows::Argmax() const {
  std::vector<int> out(rows());
  for (size_t r = 0; r < out.size(); ++r) {
    const float* row = values.data() + r * classes;
    size_t best = 0;
    for (size_t c = 1; c < classes; ++c) {
      if (row[c] > row[best]) best = c;
    }
    out[r] = static_cast<int>(best);
  }
  return out;
}

double MetricOfLogits(MetricKind metric, const LogitRows& logits, const std::vector<double>& targets) {
  std::vector<double> outputs(logits.rows());
  for (size_t r = 0; r < outputs.size(); ++r) outputs[r] = logits.values[r * logits.classes];
  return ComputeMetric(metric, outputs, targets, logits.Argmax());
}

double PredictionAgreement(const LogitRows& a, const LogitRows& b) {
  if (a.rows() != b.rows() || a.classes != b.classes) return 0.0;
  if (a.rows() == 0) return 1.0;
  const std::vector<int> pa = a.Argmax(), pb = b.Argmax();
  size_t same = 0;
  for (size_t i = 0; i < pa.size(); ++i) same += pa[i] == pb[i] ? 1 : 0;
  return static_cast<double>(same) / static_cast<double>(pa.size());
}

double LargestOutputDifference(const LogitRows& a, const LogitRows& b) {
  if (a.classes != b.classes || a.values.size() != b.values.size()) return std::numeric_limits<double>::infinity();
  double largest = 0.0;
  for (size_t i = 0; i < a.values.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a.values[i]) - static_cast<double>(b.values[i]));
    if (std::isnan(d)) return d;  // a NaN on either side is never "no difference"
    largest = std::max(largest, d);
  }
  return largest;
}

bool ParseMetricKind(std::string_view text, MetricKind* metric) {
  for (MetricKind m : {MetricKind::kAccuracy, MetricKind::kF1, MetricKind::kMcc, MetricKind::kPearson,
                       MetricKind::kSpearman}) {
    if (text == MetricName(m)) {
      *metric = m;
      return true;
    }
  }
  return false;
}

}  // namespace qc::qat
