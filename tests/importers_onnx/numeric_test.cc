// Numbers, not just structure: the ORT-optimised / external-data fixtures of tests/fixtures/onnx_extra, and the
// unchanged BERT exports under left padding and scattered mask holes (onnx_extra/mask_variants), imported, exported
// to .qm, run by the runtime and compared with onnxruntime within max-abs 1e-4.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "exporters/qm/from_ir.h"
#include "importers/onnx/import.h"
#include "importers/onnx/model_file.h"
#include "qcompress/runtime.h"
#include "tests/support/reference_data.h"
#include "tests/support/test_paths.h"

namespace fs = std::filesystem;
namespace oi = qc::onnx_import;

namespace {

constexpr double kMaxAbs = 1e-4;

// Imports `model`, exports it to .qm, and runs every test_data_set_* directory in `data_root`.
void ImportRunCompare(const fs::path& model, const fs::path& data_root, const std::string& tag) {
  auto imported = oi::ImportOnnx(model.string());
  REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
  qc::qm::ProvenanceSpec provenance;
  provenance.producer_name = "qcompress-test";
  provenance.producer_version = "0";
  const fs::path qm = fs::temp_directory_path() / ("qc_onnx_numeric_" + tag + ".qm");
  const qc::Status written = qc::ExportQm(imported->graph, provenance, qm.string());
  REQUIRE_MESSAGE(written.ok(), written.ToString());
  auto loaded = qc::Model::Load(qm.string());
  REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
  auto session = qc::Session::Create(*loaded);
  REQUIRE(session.ok());
  int sets = 0;
  for (int k = 0; fs::exists(data_root / ("test_data_set_" + std::to_string(k))); ++k, ++sets) {
    const fs::path data = data_root / ("test_data_set_" + std::to_string(k));
    qc::test::CheckSessionOutputs(*session, data, data, kMaxAbs, tag + " set " + std::to_string(k));
  }
  CHECK(sets > 0);
  fs::remove(qm);
}

}  // namespace

TEST_CASE("ORT-optimised and external-data exports compute onnxruntime's outputs") {
  const fs::path root = qc::test::FixturesDir() / "onnx_extra";
  int count = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (!fs::exists(entry.path() / "model.onnx")) continue;
    const std::string name = entry.path().filename().string();
    INFO("fixture " << name);
    ImportRunCompare(entry.path() / "model.onnx", entry.path(), name);
    ++count;
  }
  CHECK(count >= 7);
}

TEST_CASE("masks that are not right-padded give onnxruntime's outputs") {
  const fs::path root = qc::test::FixturesDir() / "onnx_extra" / "mask_variants";
  int count = 0;
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    INFO("fixture onnx/" << name);
    ImportRunCompare(qc::test::FixturesDir() / "onnx" / name / "model.onnx", entry.path(), "mask_" + name);
    ++count;
  }
  CHECK(count >= 4);
}
