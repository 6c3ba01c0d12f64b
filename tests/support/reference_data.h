// Reading the fixtures' reference data (ONNX backend-test layout: <dir>/input_N.pb, output_N.pb) into runtime
// tensors. Header-only; include after doctest (it asserts with REQUIRE).
#pragma once

#include <algorithm>
#include <cmath>
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

/// Runs `session` on <data_dir>/input_N.pb and checks every output against <expected_dir>/output_N.pb: same name,
/// float32, same shape, max-abs difference <= `max_abs_bar`. Each difference is reported as
/// "<tag> <output>: max abs diff <x>" (docs/results/float-parity.md is built from these lines).
inline void CheckSessionOutputs(Session& session, const std::filesystem::path& data_dir,
                                const std::filesystem::path& expected_dir, double max_abs_bar, const std::string& tag) {
  std::vector<NamedTensor> inputs;
  for (const auto& f : NumberedFiles(data_dir, "input")) inputs.push_back(LoadReferenceTensor(f));
  auto outputs = session.Run(inputs);
  REQUIRE_MESSAGE(outputs.ok(), outputs.status().ToString());
  const auto expected = NumberedFiles(expected_dir, "output");
  REQUIRE(outputs->size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const NamedTensor want = LoadReferenceTensor(expected[i]);
    const HostTensor& got = (*outputs)[i].tensor;
    CAPTURE(want.name);
    CHECK((*outputs)[i].name == want.name);
    REQUIRE(want.tensor.type == ElementType::kFloat32);
    REQUIRE(got.type == ElementType::kFloat32);
    REQUIRE(got.shape == want.tensor.shape);
    double max_abs = 0;
    for (size_t k = 0; k < want.tensor.floats.size(); ++k) {
      max_abs = std::max(max_abs, std::abs(double(got.floats[k]) - want.tensor.floats[k]));
    }
    MESSAGE(tag << " " << want.name << ": max abs diff " << max_abs);
    CHECK(max_abs <= max_abs_bar);
  }
}

}  // namespace qc::test
