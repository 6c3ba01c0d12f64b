// Reading the fixtures' reference data (ONNX backend-test layout: <dir>/input_N.pb, output_N.pb) into runtime
// tensors. Header-only; include after doctest (it asserts with REQUIRE).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "importers/onnx/model_file.h"
#include "qcompress/runtime.h"

namespace qc::test {

/// <dir>/<stem>_0.pb, <stem>_1.pb, ... up to the first missing index.
inline std::vector<std::filesystem::path> NumberedFiles(const std::filesystem::path& dir, const std::string& stem) {
  std::vector<std::filesystem::path> files;
  for (int i = 0; std::filesystem::exists(dir / (stem + "_" + std::to_string(i) + ".pb")); ++i) {
    files.push_back(dir / (stem + "_" + std::to_string(i) + ".pb"));
  }
  return files;
}

/// A TensorProto file as a named runtime input: FLOAT as float32, integer types widened to int64.
inline NamedTensor LoadReferenceTensor(const std::filesystem::path& file) {
  auto proto = onnx_import::ReadTensorFile(file.string());
  REQUIRE_MESSAGE(proto.ok(), proto.status().ToString());
  NamedTensor t;
  t.name = proto->name();
  t.tensor.shape.assign(proto->dims().begin(), proto->dims().end());
  if (proto->data_type() == onnx::TensorProto::FLOAT) {
    auto values = onnx_import::TensorToFloats(*proto, file.string());
    REQUIRE_MESSAGE(values.ok(), values.status().ToString());
    t.tensor.type = ElementType::kFloat32;
    t.tensor.floats = std::move(values).value();
  } else {
    auto values = onnx_import::TensorToInt64s(*proto, file.string());
    REQUIRE_MESSAGE(values.ok(), values.status().ToString());
    t.tensor.type = ElementType::kInt64;
    t.tensor.ints = std::move(values).value();
  }
  return t;
}

}  // namespace qc::test
