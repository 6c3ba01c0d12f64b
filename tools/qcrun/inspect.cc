#include "qcrun/inspect.h"

#include <map>
#include <nlohmann/json.hpp>

#include "format/qm_reader.h"
#include "report/report.h"

namespace qc::tools {
namespace {

std::string DimsText(const qm::QmValue& v) {
  std::string s = "[";
  for (size_t d = 0; d < v.rank(); ++d) {
    const qm::QmDim dim = v.dim(d);
    if (d) s += ", ";
    s += dim.symbolic ? std::string(dim.symbol) : std::to_string(dim.size);
  }
  return s + "]";
}

nlohmann::ordered_json DatumJson(const qm::QmDatum& d) {
  switch (d.kind()) {
    case qm::DatumKind::kInt: return *d.AsInt();
    case qm::DatumKind::kFloat: return *d.AsFloat();
    case qm::DatumKind::kString: return std::string(*d.AsString());
    case qm::DatumKind::kIntList: {
      auto l = *d.AsIntList();
      return std::vector<int64_t>(l.begin(), l.end());
    }
    case qm::DatumKind::kFloatList: {
      auto l = *d.AsFloatList();
      return std::vector<double>(l.begin(), l.end());
    }
    case qm::DatumKind::kStringList: {
      auto l = *d.AsStringList();
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (size_t i = 0; i < l.size(); ++i) arr.push_back(std::string(l[i]));
      return arr;
    }
    case qm::DatumKind::kBytes: return std::to_string(d.AsBytes()->size) + " bytes";
  }
  return nullptr;
}

// Long lists (a 30k-token vocabulary) are summarised in text output.
std::string DatumText(const qm::QmDatum& d) {
  if (d.kind() == qm::DatumKind::kStringList) {
    auto l = *d.AsStringList();
    if (l.size() > 8) return "[" + std::to_string(l.size()) + " strings: \"" + std::string(l[0]) + "\", \"" +
                             std::string(l[1]) + "\", ...]";
  }
  return DatumJson(d).dump();
}

}  // namespace

int RunInspect(const InspectOptions& options, std::ostream& out, std::ostream& err) {
  auto opened = qm::QmFile::Open(options.path);
  if (!opened.ok()) {
    err << "qcrun: error: " << opened.status().ToString() << "\n";
    return 1;
  }
  const qm::QmFile& file = *opened;
  std::map<std::string, int> census;
  for (uint32_t i = 0; i < file.num_ops(); ++i) ++census[qm::OpTypeName(file.op(i).type())];
  uint64_t constant_bytes = 0;
  uint32_t constants = 0;
  for (uint32_t v = 0; v < file.num_values(); ++v) {
    if (file.value(v).is_constant()) {
      ++constants;
      constant_bytes += file.value(v).byte_size();
    }
  }
  const qm::RuntimeVersion need = file.min_runtime_version();
  const qm::QmProvenance prov = file.provenance();

  nlohmann::ordered_json j;
  j["file"] = options.path;
  j["file_bytes"] = file.mapping().size();
  j["format_version"] = std::to_string(file.format_major()) + "." + std::to_string(file.format_minor());
  j["min_runtime_version"] = need.ToString();
  j["checksums"] = "verified";
  j["provenance"] = {{"producer", std::string(prov.producer_name) + " " + std::string(prov.producer_version)},
                     {"command_line", std::string(prov.command_line)},
                     {"source_model", std::string(prov.source_model_name)},
                     {"source_model_hash", std::string(prov.source_model_hash)}};
  if (prov.seed) j["provenance"]["seed"] = *prov.seed;
  auto signature = [&](const auto& ids) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (uint32_t v : ids) {
      const qm::QmValue value = file.value(v);
      arr.push_back({{"name", std::string(value.name())}, {"dtype", qm::DTypeName(value.dtype())},
                     {"shape", DimsText(value)}});
    }
    return arr;
  };
  j["inputs"] = signature(file.inputs());
  j["outputs"] = signature(file.outputs());
  j["constants"] = constants;
  j["constant_bytes"] = constant_bytes;
  j["ops"] = census;
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  for (size_t i = 0; i < file.num_metadata(); ++i) {
    meta[std::string(file.metadata_key(i))] = DatumJson(file.metadata_value(i));
  }
  j["metadata"] = meta;
  if (!file.report_json().empty()) {
    j["report"] = nlohmann::ordered_json::parse(file.report_json(), nullptr, /*allow_exceptions=*/false);
  }
  if (options.json) {
    out << j.dump(2) << "\n";
    return 0;
  }
  out << "file:          " << options.path << " (" << file.mapping().size() << " bytes, format "
      << j["format_version"].get<std::string>() << ", needs runtime >= " << need.ToString() << ")\n";
  out << "checksums:     verified\n";
  out << "producer:      " << prov.producer_name << " " << prov.producer_version << "\n";
  if (!prov.command_line.empty()) out << "command:       " << prov.command_line << "\n";
  if (!prov.source_model_name.empty()) {
    out << "source:        " << prov.source_model_name << " (" << prov.source_model_hash << ")\n";
  }
  out << "inputs:\n";
  for (const auto& v : j["inputs"]) {
    out << "  " << v["name"].get<std::string>() << "  " << v["dtype"].get<std::string>() << " "
        << v["shape"].get<std::string>() << "\n";
  }
  out << "outputs:\n";
  for (const auto& v : j["outputs"]) {
    out << "  " << v["name"].get<std::string>() << "  " << v["dtype"].get<std::string>() << " "
        << v["shape"].get<std::string>() << "\n";
  }
  out << "weights:       " << constants << " constants, " << constant_bytes << " bytes\n";
  out << "ops:          ";
  for (const auto& [op, n] : census) out << " " << op << " x" << n;
  out << "\n";
  out << "metadata:\n";
  for (size_t i = 0; i < file.num_metadata(); ++i) {
    out << "  " << file.metadata_key(i) << " = " << DatumText(file.metadata_value(i)) << "\n";
  }
  if (!file.report_json().empty()) {
    // The compression report qcompress embedded (tools/report): per-layer table and totals, no source model needed.
    auto report = report::FromJson(file.report_json());
    if (report.ok()) {
      out << report::RenderText(*report);
    } else {
      out << "report:        present but not readable (" << report.status().ToString() << ")\n";
    }
  }
  if (options.list_ops) {
    out << "op list:\n";
    for (uint32_t i = 0; i < file.num_ops(); ++i) out << "  " << file.op(i).Describe() << "\n";
  }
  return 0;
}

}  // namespace qc::tools
