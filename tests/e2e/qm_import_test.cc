// exporters/qm/to_ir.h: every fixture IR -> .qm -> IR -> .qm gives the same bytes and prints the same IR; quantized,
// corrupt and foreign files are refused with the file named.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "exporters/qm/from_ir.h"
#include "exporters/qm/to_ir.h"
#include "importers/hf/hf_importer.h"
#include "importers/onnx/import.h"
#include "ir/printer.h"
#include "tests/support/test_paths.h"

namespace fs = std::filesystem;

namespace {

qc::qm::ProvenanceSpec Provenance() {
  qc::qm::ProvenanceSpec p;
  p.producer_name = "qcompress";
  p.producer_version = "0.2.0";
  p.command_line = "qcompress model -o model.qm";
  p.source_model_name = "model";
  p.source_model_hash = "xxh3:0123456789abcdef";
  p.seed = 7;
  return p;
}

std::string Bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void RoundTrip(const qc::ir::Graph& graph, const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "qc_qm_import_test";
  fs::create_directories(dir);
  const fs::path first = dir / (name + ".qm"), second = dir / (name + ".again.qm");
  const qc::Status a = qc::ExportQm(graph, Provenance(), first.string());
  REQUIRE_MESSAGE(a.ok(), a.ToString());
  auto back = qc::ImportQmFile(first.string());
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  CHECK(back->provenance.command_line == Provenance().command_line);
  CHECK(back->provenance.seed == Provenance().seed);
  const qc::Status b = qc::ExportQm(back->graph, back->provenance, second.string());
  REQUIRE_MESSAGE(b.ok(), b.ToString());
  CHECK(Bytes(first) == Bytes(second));
  // The re-imported graph of the re-exported file prints like the first import: same ops, attributes, shapes.
  auto again = qc::ImportQmFile(second.string());
  REQUIRE(again.ok());
  CHECK(qc::ir::PrintGraph(again->graph) == qc::ir::PrintGraph(back->graph));
}

}  // namespace

TEST_CASE("every fixture survives IR -> .qm -> IR -> .qm byte for byte") {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(qc::test::FixturesDir() / "onnx")) {
    const std::string name = entry.path().filename().string();
    SUBCASE(name.c_str()) {
      auto imported = qc::onnx_import::ImportOnnx((entry.path() / "model.onnx").string());
      REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
      RoundTrip(imported->graph, name);
    }
    ++count;
  }
  CHECK(count >= 13);
  for (const char* name : {"bert_tiny", "vit_tiny"}) {
    SUBCASE(name) {
      auto imported = qc::hf::ImportHfDirectory((qc::test::FixturesDir() / "hf" / name).string());
      REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
      RoundTrip(imported->graph, name);
    }
  }
}

TEST_CASE("ImportQmFile refuses what it cannot turn back into a float model") {
  const fs::path dir = fs::temp_directory_path() / "qc_qm_import_test";
  fs::create_directories(dir);
  const fs::path missing = dir / "missing.qm";
  auto m = qc::ImportQmFile(missing.string());
  REQUIRE_FALSE(m.ok());
  CHECK(m.status().message().find("missing.qm") != std::string::npos);
  const fs::path text = dir / "text.qm";
  std::ofstream(text) << "not a model";
  auto t = qc::ImportQmFile(text.string());
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().message().find("text.qm") != std::string::npos);
  // A truncated copy of a real file.
  auto imported = qc::hf::ImportHfDirectory((qc::test::FixturesDir() / "hf" / "bert_tiny").string());
  REQUIRE(imported.ok());
  const fs::path good = dir / "good.qm", cut = dir / "cut.qm";
  REQUIRE(qc::ExportQm(imported->graph, Provenance(), good.string()).ok());
  const std::string bytes = Bytes(good);
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  auto c = qc::ImportQmFile(cut.string());
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find("cut.qm") != std::string::npos);
}
