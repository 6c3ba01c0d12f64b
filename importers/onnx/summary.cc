#include "importers/onnx/summary.h"

#include <nlohmann/json.hpp>

#include <set>
#include <sstream>

#include "importers/onnx/model_file.h"

namespace qc::onnx_import {
namespace {

int64_t DataTypeBytes(int32_t t) {
  switch (t) {
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64: return 8;
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::UINT32: return 4;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16: return 2;
    default: return 1;
  }
}

OnnxValueInfo DescribeValue(const onnx::ValueInfoProto& v) {
  OnnxValueInfo info;
  info.name = v.name();
  if (v.type().has_tensor_type()) {
    const auto& tt = v.type().tensor_type();
    info.dtype = DataTypeName(tt.elem_type());
    for (const auto& d : tt.shape().dim()) {
      if (d.has_dim_value()) {
        info.shape.push_back(std::to_string(d.dim_value()));
      } else if (d.has_dim_param() && !d.dim_param().empty()) {
        info.shape.push_back(d.dim_param());
      } else {
        info.shape.push_back("?");
      }
    }
  } else {
    info.dtype = "<non-tensor>";
  }
  return info;
}

std::string ShapeText(const std::vector<std::string>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + shape[i];
  return s + "]";
}

std::string HumanBytes(int64_t bytes) {
  std::ostringstream out;
  out.precision(2);
  out << std::fixed;
  if (bytes >= (int64_t{1} << 20)) {
    out << static_cast<double>(bytes) / (1 << 20) << " MiB";
  } else if (bytes >= 1024) {
    out << static_cast<double>(bytes) / 1024 << " KiB";
  } else {
    out << bytes << " B";
  }
  return out.str();
}

}  // namespace

OnnxSummary SummarizeModel(const onnx::ModelProto& model) {
  OnnxSummary s;
  s.producer = model.producer_name();
  if (!model.producer_version().empty()) s.producer += " " + model.producer_version();
  s.ir_version = model.ir_version();
  for (const auto& op : model.opset_import()) s.opsets[op.domain()] = op.version();
  const auto& graph = model.graph();
  std::set<std::string> initializer_names;
  for (const auto& init : graph.initializer()) {
    initializer_names.insert(init.name());
    ++s.initializer_count;
    auto count = ElementCount(init);
    if (count.ok()) {
      s.parameter_count += *count;
      s.parameter_bytes += *count * DataTypeBytes(init.data_type());
    }
  }
  for (const auto& in : graph.input()) {
    if (initializer_names.count(in.name()) == 0) s.inputs.push_back(DescribeValue(in));
  }
  for (const auto& out : graph.output()) s.outputs.push_back(DescribeValue(out));
  for (const auto& node : graph.node()) {
    const bool standard = node.domain().empty() || node.domain() == "ai.onnx";
    ++s.op_counts[standard ? node.op_type() : node.domain() + "::" + node.op_type()];
    ++s.node_count;
  }
  return s;
}

std::string FormatSummaryText(const OnnxSummary& s) {
  std::ostringstream out;
  out << "producer:     " << (s.producer.empty() ? "<unknown>" : s.producer) << "\n";
  out << "ir_version:   " << s.ir_version << "\n";
  out << "opsets:      ";
  for (const auto& [domain, version] : s.opsets) out << " " << (domain.empty() ? "ai.onnx" : domain) << "=" << version;
  out << "\n";
  out << "inputs:\n";
  for (const auto& v : s.inputs) out << "  " << v.name << "  " << v.dtype << " " << ShapeText(v.shape) << "\n";
  out << "outputs:\n";
  for (const auto& v : s.outputs) out << "  " << v.name << "  " << v.dtype << " " << ShapeText(v.shape) << "\n";
  out << "parameters:   " << s.parameter_count << " in " << s.initializer_count << " initializers ("
      << HumanBytes(s.parameter_bytes) << ")\n";
  out << "nodes:        " << s.node_count << "\n";
  out << "op census:\n";
  for (const auto& [op, count] : s.op_counts) out << "  " << op << " x" << count << "\n";
  return out.str();
}

std::string FormatSummaryJson(const OnnxSummary& s) {
  nlohmann::ordered_json j;
  j["producer"] = s.producer;
  j["ir_version"] = s.ir_version;
  j["opsets"] = s.opsets;
  auto values = [](const std::vector<OnnxValueInfo>& vs) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& v : vs) arr.push_back({{"name", v.name}, {"dtype", v.dtype}, {"shape", v.shape}});
    return arr;
  };
  j["inputs"] = values(s.inputs);
  j["outputs"] = values(s.outputs);
  j["initializer_count"] = s.initializer_count;
  j["parameter_count"] = s.parameter_count;
  j["parameter_bytes"] = s.parameter_bytes;
  j["node_count"] = s.node_count;
  j["op_counts"] = s.op_counts;
  return j.dump(2) + "\n";
}

}  // namespace qc::onnx_import
