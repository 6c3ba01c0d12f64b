// A structural summary of an ONNX model: what `qcompress inspect MODEL.onnx` prints before anything is converted.
//
//   QC_ASSIGN_OR_RETURN(onnx::ModelProto model, ReadModelFile(path));
//   OnnxSummary summary = SummarizeModel(model);
//   std::cout << FormatSummaryText(summary);
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qc::onnx_import {

struct OnnxValueInfo {
  std::string name;
  std::string dtype;                ///< "FLOAT", "INT64", ...
  std::vector<std::string> shape;   ///< one entry per dim: a number or a symbolic name ("batch_size"), "?" if unknown
};

struct OnnxSummary {
  std::string producer;             ///< "pytorch 2.5.1"
  int64_t ir_version = 0;
  std::map<std::string, int64_t> opsets;  ///< domain ("" is ai.onnx) -> version
  std::vector<OnnxValueInfo> inputs;      ///< graph inputs that are not initializers
  std::vector<OnnxValueInfo> outputs;
  std::map<std::string, int64_t> op_counts;  ///< "Domain::OpType" (domain omitted for ai.onnx) -> nodes
  int64_t node_count = 0;
  int64_t initializer_count = 0;
  int64_t parameter_count = 0;  ///< elements over all initializers
  int64_t parameter_bytes = 0;  ///< bytes of initializer data as stored (raw or typed fields)
};

OnnxSummary SummarizeModel(const onnx::ModelProto& model);

/// Human-readable multi-line text; deterministic (maps are ordered).
std::string FormatSummaryText(const OnnxSummary& summary);

/// The same content as one JSON object, for --json.
std::string FormatSummaryJson(const OnnxSummary& summary);

}  // namespace qc::onnx_import
