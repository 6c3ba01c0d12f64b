#include "qcompress/report_builder.h"

#include "ir/atomic_file.h"

namespace qc::tools {
namespace {

// The weight shape of the node named `name` (its input 1 constant), or {} when there is none.
std::vector<int64_t> WeightShape(const ir::Graph& graph, const std::string& name) {
  for (const ir::Node& node : graph.nodes()) {
    if (node.name != name || node.inputs.size() < 2) continue;
    const ir::Value& w = graph.value(node.inputs[1]);
    if (!w.constant) continue;
    return w.constant->dims();
  }
  return {};
}

}  // namespace

int FormatWeightBits(const std::string& format) {
  if (format.rfind("w=", 0) == 0) return FormatWeightBits(format.substr(2));
  if (format.rfind("t2", 0) == 0) return 2;
  if (format.rfind("i4", 0) == 0) return 4;
  if (format.rfind("i8", 0) == 0) return 8;
  return 32;
}

report::Report BuildReport(const ReportInputs& in) {
  report::Report r;
  r.qcompress_version = in.qcompress_version;
  r.model_name = in.model_name;
  r.source_hash = in.source_hash;
  r.command_line = in.command_line;
  r.config_summary = in.config_summary;
  r.eval_data = in.eval_data;
  if (in.layers != nullptr) {
    for (const passes::LayerSummary& l : *in.layers) {
      report::LayerRow row;
      row.name = l.name;
      row.op = l.op;
      if (in.float_graph != nullptr) row.shape = WeightShape(*in.float_graph, l.name);
      row.weight_bits = FormatWeightBits(l.format);
      row.scheme = l.format;
      row.bytes_before = static_cast<uint64_t>(l.bytes_before);
      row.bytes_after = static_cast<uint64_t>(l.bytes_after);
      if (auto e = in.layer_errors.find(l.name); e != in.layer_errors.end()) {
        row.sqnr_db = e->second.sqnr_db;
        row.cosine = e->second.cosine;
      }
      r.layers.push_back(std::move(row));
    }
  }
  r.totals = {in.source_bytes, in.qm_bytes};
  r.metric = in.metric;
  r.curves = in.curves;
  r.warnings = in.warnings;
  return r;
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  QC_ASSIGN_OR_RETURN(AtomicFile file, AtomicFile::Create(path));
  QC_RETURN_IF_ERROR(file.Append(text.data(), text.size()));
  return file.Commit();
}

}  // namespace qc::tools
