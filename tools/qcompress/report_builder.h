// Assembles the compression report (tools/report/report.h) from what one qcompress run measured, and writes
// report files atomically.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/pass.h"
#include "report/error_metrics.h"
#include "report/report.h"

namespace qc::tools {

struct ReportInputs {
  std::string qcompress_version;
  std::string model_name;
  std::string source_hash;
  std::string command_line;
  std::string config_summary;
  std::string eval_data;
  const std::vector<passes::LayerSummary>* layers = nullptr;  ///< may be null (float export)
  const ir::Graph* float_graph = nullptr;  ///< where the layers' weight shapes are read (by node name)
  std::map<std::string, report::ErrorStats> layer_errors;  ///< by layer name (qcompress/layer_error.h)
  uint64_t source_bytes = 0;
  uint64_t qm_bytes = 0;
  std::optional<report::Metric> metric;
  std::vector<report::Curve> curves;
  std::vector<std::string> warnings;
};

/// The report; Validate()d by the caller.
report::Report BuildReport(const ReportInputs& in);

/// Stored bits per weight of a layer format string: "t2/..." 2, "i4/..." 4, "i8/..." 8, anything else 32.
int FormatWeightBits(const std::string& format);

/// Writes `text` to `path` through a temporary file, fsync and rename.
Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace qc::tools
