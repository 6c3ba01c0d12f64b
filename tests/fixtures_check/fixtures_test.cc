// Every committed real-exporter fixture is loadable with libonnx, passes the ONNX checker, and carries readable
// reference data whose names and shapes match the model's signature. Importer tests rely on all of this.
#include <doctest/doctest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "importers/onnx/model_file.h"
#include "tests/support/test_paths.h"

namespace fs = std::filesystem;
namespace oi = qc::onnx_import;

namespace {

std::vector<fs::path> FixtureDirs(const fs::path& root) {
  std::vector<fs::path> dirs;
  if (!fs::exists(root)) return dirs;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::vector<fs::path> NumberedFiles(const fs::path& dir, const std::string& stem) {
  std::vector<fs::path> files;
  for (int i = 0;; ++i) {
    fs::path p = dir / (stem + "_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    files.push_back(p);
  }
  return files;
}

nlohmann::json ReadJson(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// Reads a reference tensor, checks it against the named graph value, returns its elements as doubles.
std::vector<double> CheckTensorFile(const fs::path& file, const onnx::ValueInfoProto& expected) {
  auto tensor = oi::ReadTensorFile(file.string());
  REQUIRE_MESSAGE(tensor.ok(), tensor.status().ToString());
  CHECK_MESSAGE(tensor->name() == expected.name(), file.string());
  CHECK(tensor->data_type() == expected.type().tensor_type().elem_type());
  const auto& dims = expected.type().tensor_type().shape().dim();
  REQUIRE(tensor->dims_size() == dims.size());
  for (int i = 0; i < dims.size(); ++i) {
    if (dims[i].has_dim_value()) CHECK(tensor->dims(i) == dims[i].dim_value());
  }
  std::vector<double> values;
  if (tensor->data_type() == onnx::TensorProto::FLOAT) {
    auto floats = oi::TensorToFloats(*tensor, file.string());
    REQUIRE_MESSAGE(floats.ok(), floats.status().ToString());
    values.assign(floats->begin(), floats->end());
  } else {
    auto ints = oi::TensorToInt64s(*tensor, file.string());
    REQUIRE_MESSAGE(ints.ok(), ints.status().ToString());
    values.assign(ints->begin(), ints->end());
  }
  auto count = oi::ElementCount(*tensor);
  REQUIRE(count.ok());
  CHECK(static_cast<int64_t>(values.size()) == *count);
  CHECK(std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); }));
  return values;
}

}  // namespace

TEST_CASE("ONNX fixtures load, pass the checker and carry matching reference data") {
  const fs::path root = qc::test::FixturesDir() / "onnx";
  const auto dirs = FixtureDirs(root);
  REQUIRE_MESSAGE(dirs.size() >= 12, "expected the committed export matrix under " << root.string());
  for (const fs::path& dir : dirs) {
    CAPTURE(dir.string());
    auto model = oi::ReadModelFile((dir / "model.onnx").string());
    REQUIRE_MESSAGE(model.ok(), model.status().ToString());
    // Debian's libonnx knows IR versions up to its own onnx::IR_VERSION; newer exporters (dynamo) write a higher
    // one with no structural change that matters here, so check a copy stamped with the version the checker knows.
    onnx::ModelProto checkable = *model;
    if (checkable.ir_version() > onnx::IR_VERSION) checkable.set_ir_version(onnx::IR_VERSION);
    CHECK_NOTHROW(onnx::checker::check_model(checkable));

    const nlohmann::json meta = ReadJson(dir / "fixture.json");
    const auto& graph = model->graph();
    std::vector<const onnx::ValueInfoProto*> inputs;
    for (const auto& in : graph.input()) {
      const bool is_initializer = std::any_of(graph.initializer().begin(), graph.initializer().end(),
                                              [&](const onnx::TensorProto& t) { return t.name() == in.name(); });
      if (!is_initializer) inputs.push_back(&in);
    }
    REQUIRE(meta.at("inputs").size() == inputs.size());
    REQUIRE(meta.at("outputs").size() == static_cast<size_t>(graph.output_size()));

    const auto input_files = NumberedFiles(dir / "test_data_set_0", "input");
    REQUIRE(input_files.size() == inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) CheckTensorFile(input_files[i], *inputs[i]);

    const auto ort_files = NumberedFiles(dir / "test_data_set_0", "output");
    const auto torch_files = NumberedFiles(dir / "reference_torch", "output");
    REQUIRE(ort_files.size() == static_cast<size_t>(graph.output_size()));
    REQUIRE(torch_files.size() == ort_files.size());
    for (size_t i = 0; i < ort_files.size(); ++i) {
      const auto ort = CheckTensorFile(ort_files[i], graph.output(static_cast<int>(i)));
      const auto torch = CheckTensorFile(torch_files[i], graph.output(static_cast<int>(i)));
      REQUIRE(ort.size() == torch.size());
      double max_diff = 0;
      for (size_t k = 0; k < ort.size(); ++k) max_diff = std::max(max_diff, std::abs(ort[k] - torch[k]));
      // The generator refuses exports where onnxruntime and PyTorch disagree; the recorded figure must hold.
      CHECK(max_diff < 1e-4);
      CHECK(max_diff <= meta.at("max_abs_diff_ort_vs_torch").get<double>() + 1e-12);
    }
  }
}

TEST_CASE("Hugging Face directory fixtures have their files") {
  const fs::path root = qc::test::FixturesDir() / "hf";
  const auto dirs = FixtureDirs(root);
  REQUIRE(dirs.size() >= 2);
  for (const fs::path& dir : dirs) {
    CAPTURE(dir.string());
    CHECK(fs::exists(dir / "config.json"));
    CHECK(fs::exists(dir / "model.safetensors"));
    const nlohmann::json config = ReadJson(dir / "config.json");
    CHECK(config.contains("model_type"));
    CHECK(fs::exists(dir / "reference"));
  }
}
