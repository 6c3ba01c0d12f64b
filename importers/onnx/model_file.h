// Reading ONNX protobuf files from disk with errors that name the file.
//
//   QC_ASSIGN_OR_RETURN(onnx::ModelProto model, qc::onnx_import::ReadModelFile("bert.onnx"));
//   QC_ASSIGN_OR_RETURN(onnx::TensorProto t, qc::onnx_import::ReadTensorFile("test_data_set_0/input_0.pb"));
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "qcompress/status.h"

namespace qc::onnx_import {

/// Parses a ModelProto. Rejects files over 2 GiB (the protobuf limit; larger models keep weights as external data).
Expected<onnx::ModelProto> ReadModelFile(const std::string& path);

/// Parses a serialized TensorProto (the ONNX backend-test `input_N.pb` / `output_N.pb` layout).
Expected<onnx::TensorProto> ReadTensorFile(const std::string& path);

/// Element count of a tensor's shape; an error for negative dimensions or overflow.
Expected<int64_t> ElementCount(const onnx::TensorProto& tensor);

/// Copies a FLOAT tensor's elements (raw_data or float_data) after checking the byte count matches its shape.
/// `what` names the tensor in errors (file and tensor name).
Expected<std::vector<float>> TensorToFloats(const onnx::TensorProto& tensor, const std::string& what);

/// Copies an INT64 or INT32 tensor's elements widened to int64.
Expected<std::vector<int64_t>> TensorToInt64s(const onnx::TensorProto& tensor, const std::string& what);

/// ONNX TensorProto.DataType enum value to its name ("FLOAT", "INT64", ...).
std::string DataTypeName(int32_t data_type);

}  // namespace qc::onnx_import
