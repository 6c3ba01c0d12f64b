// Report value semantics: equality, gates, validation.
#include <cmath>
#include <cstdio>
#include <string>

#include "report/error_metrics.h"
#include "report/report.h"

namespace qc::report {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

Status CheckFinite(const std::string& field, double v) {
  if (!std::isfinite(v)) return InvalidArgument(field + ": " + Num(v) + " is not a finite number");
  return Status::Ok();
}

}  // namespace

bool LayerRow::operator==(const LayerRow& o) const {
  return name == o.name && op == o.op && shape == o.shape && weight_bits == o.weight_bits && scheme == o.scheme &&
         bytes_before == o.bytes_before && bytes_after == o.bytes_after && sqnr_db == o.sqnr_db && cosine == o.cosine;
}

double Totals::ratio() const {
  return file_bytes_after == 0 ? 0.0 : static_cast<double>(file_bytes_before) / static_cast<double>(file_bytes_after);
}

bool Metric::operator==(const Metric& o) const {
  return name == o.name && higher_is_better == o.higher_is_better && teacher == o.teacher && student == o.student &&
         max_drop == o.max_drop && min_metric == o.min_metric && pass == o.pass &&
         trained_agreement == o.trained_agreement && trained_max_diff == o.trained_max_diff;
}

bool Report::operator==(const Report& o) const {
  return qcompress_version == o.qcompress_version && model_name == o.model_name && source_hash == o.source_hash &&
         command_line == o.command_line && config_summary == o.config_summary && eval_data == o.eval_data &&
         layers == o.layers && totals == o.totals && metric == o.metric && curves == o.curves && warnings == o.warnings;
}

void EvaluateGates(Metric* metric) {
  bool pass = true;
  if (metric->max_drop && metric->drop() > *metric->max_drop) pass = false;
  if (metric->min_metric) {
    const bool worse =
        metric->higher_is_better ? metric->student < *metric->min_metric : metric->student > *metric->min_metric;
    if (worse) pass = false;
  }
  metric->pass = pass;
}

Metric MakeMetric(std::string name, double teacher, double student, std::optional<double> max_drop,
                  std::optional<double> min_metric, bool higher_is_better) {
  Metric m;
  m.name = std::move(name);
  m.higher_is_better = higher_is_better;
  m.teacher = teacher;
  m.student = student;
  m.max_drop = max_drop;
  m.min_metric = min_metric;
  EvaluateGates(&m);
  return m;
}

Status Validate(const Report& report) {
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const LayerRow& l = report.layers[i];
    const std::string at = "report.layers[" + std::to_string(i) + "]";
    if (l.weight_bits < 1 || l.weight_bits > 64) {
      return InvalidArgument(at + ".weight_bits: " + std::to_string(l.weight_bits) + " is outside 1..64");
    }
    for (size_t d = 0; d < l.shape.size(); ++d) {
      if (l.shape[d] < 0) return InvalidArgument(at + ".shape[" + std::to_string(d) + "]: negative dimension");
    }
    if (l.sqnr_db) {
      QC_RETURN_IF_ERROR(CheckFinite(at + ".sqnr_db", *l.sqnr_db));
      if (std::fabs(*l.sqnr_db) > kMaxSqnrDb) {
        return InvalidArgument(at + ".sqnr_db: " + Num(*l.sqnr_db) + " is outside [-200, 200] dB");
      }
    }
    if (l.cosine) {
      QC_RETURN_IF_ERROR(CheckFinite(at + ".cosine", *l.cosine));
      if (*l.cosine < -1 || *l.cosine > 1) {
        return InvalidArgument(at + ".cosine: " + Num(*l.cosine) + " is outside [-1, 1]");
      }
    }
  }
  if (report.metric) {
    const Metric& m = *report.metric;
    QC_RETURN_IF_ERROR(CheckFinite("report.metric.teacher", m.teacher));
    QC_RETURN_IF_ERROR(CheckFinite("report.metric.student", m.student));
    if (m.max_drop) QC_RETURN_IF_ERROR(CheckFinite("report.metric.max_drop", *m.max_drop));
    if (m.min_metric) QC_RETURN_IF_ERROR(CheckFinite("report.metric.min_metric", *m.min_metric));
    if (m.trained_agreement) {
      QC_RETURN_IF_ERROR(CheckFinite("report.metric.trained_agreement", *m.trained_agreement));
      if (*m.trained_agreement < 0 || *m.trained_agreement > 1) {
        return InvalidArgument("report.metric.trained_agreement: " + Num(*m.trained_agreement) + " is outside [0, 1]");
      }
    }
    if (m.trained_max_diff) {
      QC_RETURN_IF_ERROR(CheckFinite("report.metric.trained_max_diff", *m.trained_max_diff));
      if (*m.trained_max_diff < 0) {
        return InvalidArgument("report.metric.trained_max_diff: " + Num(*m.trained_max_diff) + " is negative");
      }
    }
    Metric recomputed = m;
    EvaluateGates(&recomputed);
    if (recomputed.pass != m.pass) {
      return InvalidArgument(std::string("report.metric.pass: ") + (m.pass ? "true" : "false") +
                             " disagrees with the gates (drop " + Num(m.drop()) + ")");
    }
  }
  for (size_t c = 0; c < report.curves.size(); ++c) {
    const Curve& curve = report.curves[c];
    const std::string at = "report.curves[" + std::to_string(c) + "].points";
    for (size_t p = 0; p < curve.points.size(); ++p) {
      const std::string pt = at + "[" + std::to_string(p) + "]";
      QC_RETURN_IF_ERROR(CheckFinite(pt, curve.points[p].second));
      if (p > 0 && curve.points[p].first <= curve.points[p - 1].first) {
        return InvalidArgument(pt + ": step " + std::to_string(curve.points[p].first) +
                               " does not increase on the previous step");
      }
    }
  }
  return Status::Ok();
}

}  // namespace qc::report
