// End to end in float: every real-exporter fixture is imported, exported to .qm, loaded by the runtime and run on
// its reference inputs; the outputs must equal onnxruntime's within max-abs 1e-4 (the acceptance bar), and the
// Hugging Face directories must reproduce PyTorch's outputs the same way.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "exporters/qm/from_ir.h"
#include "importers/hf/hf_importer.h"
#include "importers/onnx/import.h"
#include "importers/onnx/model_file.h"
#include "qcompress/runtime.h"
#include "tests/support/reference_data.h"
#include "tests/support/test_paths.h"

namespace fs = std::filesystem;
namespace oi = qc::onnx_import;

namespace {

constexpr double kMaxAbs = 1e-4;

qc::qm::ProvenanceSpec TestProvenance() {
  qc::qm::ProvenanceSpec p;
  p.producer_name = "qcompress-test";
  p.producer_version = "0";
  return p;
}

// Runs `qm_path` on the inputs in `data_dir` and compares every output with `expected_dir`/output_N.pb.
void RunAndCompare(const fs::path& qm_path, const fs::path& data_dir, const fs::path& expected_dir) {
  auto model = qc::Model::Load(qm_path.string());
  REQUIRE_MESSAGE(model.ok(), model.status().ToString());
  auto session = qc::Session::Create(*model);
  REQUIRE(session.ok());
  qc::test::CheckSessionOutputs(*session, data_dir, expected_dir, kMaxAbs, qm_path.filename().string());
}

}  // namespace

TEST_CASE("Every ONNX fixture runs from .qm with onnxruntime's outputs") {
  const fs::path root = qc::test::FixturesDir() / "onnx";
  const fs::path tmp = fs::temp_directory_path() / "qc_e2e_float";
  fs::create_directories(tmp);
  int count = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const fs::path dir = entry.path();
    SUBCASE(dir.filename().string().c_str()) {
      auto imported = oi::ImportOnnx((dir / "model.onnx").string());
      REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
      const fs::path qm = tmp / (dir.filename().string() + ".qm");
      const qc::Status written = qc::ExportQm(imported->graph, TestProvenance(), qm.string());
      REQUIRE_MESSAGE(written.ok(), written.ToString());
      RunAndCompare(qm, dir / "test_data_set_0", dir / "test_data_set_0");
    }
    ++count;
  }
  CHECK(count >= 13);
}

TEST_CASE("Hugging Face directory fixtures run from .qm with PyTorch's outputs") {
  const fs::path root = qc::test::FixturesDir() / "hf";
  const fs::path tmp = fs::temp_directory_path() / "qc_e2e_float";
  fs::create_directories(tmp);
  for (const char* name : {"bert_tiny", "vit_tiny"}) {
    SUBCASE(name) {
      auto imported = qc::hf::ImportHfDirectory((root / name).string());
      REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
      const fs::path qm = tmp / (std::string(name) + ".qm");
      const qc::Status written = qc::ExportQm(imported->graph, TestProvenance(), qm.string());
      REQUIRE_MESSAGE(written.ok(), written.ToString());
      RunAndCompare(qm, root / name / "reference", root / name / "reference");
    }
  }
}
