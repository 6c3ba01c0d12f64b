// report/report.h: the compression report (what was quantized, how, what it cost, what it saved).
//
// Overview
//   A `Report` describes one qcompress run: the model and command line, one row per layer (op, shape, weight bits,
//   scheme string, bytes before/after, error against the float model on the eval data as SQNR dB and cosine),
//   file totals, the teacher-vs-student metric with its gates, training curves and warnings. It is written three
//   ways, all deterministic (same Report -> same bytes):
//     * ToJson: the JSON document of docs/report-schema.json (docs/report.md explains the fields). The exporter
//       embeds it in the .qm (QmModelSpec::report_json -> Model.report_json) so `qcrun inspect` can show it
//       without the source model; FromJson reads it back and names the offending field on error.
//     * RenderHtml: one self-contained page (inline CSS + inline SVG charts, no script, no external asset).
//     * RenderText: the plain-text summary `qcrun inspect` prints.
//   report/error_metrics.h computes the SQNR and cosine that fill the per-layer error columns.
//
// Usage (what tools/qcompress does at the end of a run; link qc_report, include "report/report.h")
//   qc::report::Report r;
//   r.model_name = "bert-base-sst2"; r.source_hash = "xxh64:..."; r.command_line = argv_joined;
//   r.qcompress_version = "0.1.0"; r.config_summary = "weights t2/per_tensor, activations i8/per_token";
//   r.layers.push_back({"encoder.0.attn.q", "MatMul", {768, 768}, 2, "t2/per_tensor a=i8/per_token/clip=2.5",
//                       768 * 768 * 4, 147456 + 4, 14.2, 0.985});       // sqnr/cosine from ErrorAccumulator
//   r.totals = {438000000, 28000000};
//   r.metric = qc::report::MakeMetric("accuracy", 0.924, 0.913, /*max_drop=*/0.02, /*min_metric=*/std::nullopt);
//   QC_RETURN_IF_ERROR(qc::report::Validate(r));
//   spec.report_json = qc::report::ToJson(r);                           // embedded in the .qm
//   const std::string html = qc::report::RenderHtml(r);                 // and beside it, written atomically:
//   QC_ASSIGN_OR_RETURN(auto f, qc::AtomicFile::Create(out + ".report.html"));   // ir/atomic_file.h
//   QC_RETURN_IF_ERROR(f.Append(html.data(), html.size()));  QC_RETURN_IF_ERROR(f.Commit());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qcompress/status.h"

namespace qc::report {

/// The schema identifier written as "schema"; bumped when a field changes meaning or a required field is added.
inline constexpr const char* kSchemaId = "qcompress.report/1";

/// One quantized (or kept) tensor-bearing layer.
struct LayerRow {
  std::string name;               ///< source node name, e.g. "bert.encoder.layer.0.attention.self.query"
  std::string op;                 ///< op type name, e.g. "MatMul", "Gather", "LayerNorm"
  std::vector<int64_t> shape;     ///< weight shape
  int weight_bits = 32;           ///< stored bits per weight (ternary is stored as 2)
  std::string scheme;             ///< e.g. "t2/per_tensor a=i8/per_token/clip=2.5"; "f32" when kept float
  uint64_t bytes_before = 0;      ///< weight bytes in the source model
  uint64_t bytes_after = 0;       ///< weight bytes in the .qm (packed data + scales + zero points)
  std::optional<double> sqnr_db;  ///< output SQNR against the float model on the eval data, dB
  std::optional<double> cosine;   ///< output cosine similarity against the float model, [-1, 1]

  bool operator==(const LayerRow& o) const;
};

/// Whole-file sizes; the ratio is derived (before / after).
struct Totals {
  uint64_t file_bytes_before = 0;  ///< source model file(s)
  uint64_t file_bytes_after = 0;   ///< the .qm file
  double ratio() const;            ///< before / after; 0 when after is 0

  bool operator==(const Totals& o) const {
    return file_bytes_before == o.file_bytes_before && file_bytes_after == o.file_bytes_after;
  }
};

/// Teacher (float) vs student (compressed) task metric and the gates that decide pass/fail.
struct Metric {
  std::string name;              ///< e.g. "accuracy", "f1", "perplexity"
  bool higher_is_better = true;  ///< false for losses / perplexity
  double teacher = 0;
  double student = 0;
  std::optional<double> max_drop;    ///< fail when drop() > max_drop
  std::optional<double> min_metric;  ///< fail when student is worse than this bound
  bool pass = true;                  ///< set by EvaluateGates / MakeMetric; Validate checks it agrees
  /// After training: the fraction of eval examples on which the written model predicts what the trained
  /// (fake-quant) model predicted, in [0, 1]. Not a gate; qcompress warns below 0.999.
  std::optional<double> trained_agreement;
  /// After training a regression model: the largest |output| difference between the written model and the trained
  /// (fake-quant) model over the eval examples, >= 0 (argmax agreement says nothing for one output).
  std::optional<double> trained_max_diff;

  /// How much worse the student is: teacher - student (higher_is_better) or student - teacher.
  double drop() const { return higher_is_better ? teacher - student : student - teacher; }
  bool operator==(const Metric& o) const;
};

/// A training curve, e.g. "loss" or "eval accuracy" against the optimizer step.
struct Curve {
  std::string name;
  std::vector<std::pair<int64_t, double>> points;  ///< (step, value), steps strictly increasing

  bool operator==(const Curve& o) const { return name == o.name && points == o.points; }
};

struct Report {
  std::string qcompress_version;
  std::string model_name;
  std::string source_hash;  ///< hash of the source model, e.g. "xxh64:0123abcd..."
  std::string command_line;
  std::string config_summary;  ///< one line: default bits and schemes, calibration, QAT settings
  std::string eval_data;       ///< what the error columns and metric were measured on, e.g. "sst2/dev, 872"
  std::vector<LayerRow> layers;
  Totals totals;
  std::optional<Metric> metric;  ///< absent when no evaluation was run
  std::vector<Curve> curves;     ///< empty without QAT
  std::vector<std::string> warnings;

  bool operator==(const Report& o) const;
  bool operator!=(const Report& o) const { return !(*this == o); }
};

/// Sets metric->pass from the gates (a missing gate always passes).
void EvaluateGates(Metric* metric);

/// Builds a Metric and evaluates its gates.
Metric MakeMetric(std::string name, double teacher, double student, std::optional<double> max_drop,
                  std::optional<double> min_metric, bool higher_is_better = true);

/// Checks what JSON cannot carry or the schema forbids: finite numbers, cosine in [-1, 1], SQNR in [-200, 200] dB
/// (error_metrics.h kMaxSqnrDb), bits in 1..64, curve steps strictly increasing, metric.pass agreeing with the
/// gates. Errors name the field ("report.layers[3].cosine: 1.5 is outside [-1, 1]).
Status Validate(const Report& report);

/// The JSON document (2-space indent, fixed key order, shortest round-trip numbers, trailing newline). Invalid
/// UTF-8 in strings is replaced by U+FFFD. Call Validate first: a non-finite number would be written as null.
std::string ToJson(const Report& report);

/// Parses and validates a document written by ToJson (unknown keys are ignored, for forward compatibility).
/// Errors name the field: "report.layers[2].bytes_after: expected a non-negative integer".
Expected<Report> FromJson(std::string_view json);

/// One self-contained HTML page with inline CSS and SVG charts. Every string from the report is escaped.
std::string RenderHtml(const Report& report);

/// A plain-text summary: header, metric, per-layer table, totals, warnings.
std::string RenderText(const Report& report);

}  // namespace qc::report
