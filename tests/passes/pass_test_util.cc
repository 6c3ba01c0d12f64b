#include "pass_test_util.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exporters/qm/from_ir.h"
#include "ir/verifier.h"
#include "tests/support/test_paths.h"

namespace qc::passes::test {
namespace fs = std::filesystem;

void CheckGolden(const std::string& text, const std::string& name) {
  const auto path = qc::test::SourceDir() / "tests" / "passes" / "golden" / name;
  std::ifstream in(path, std::ios::binary);
  std::stringstream golden;
  if (in.good()) golden << in.rdbuf();
  if (!in.good() || golden.str() != text) {
    std::ofstream(name + ".actual", std::ios::binary) << text;
    FAIL("graph dump differs from " << path.string() << " (or it is missing); wrote " << name << ".actual");
  }
  CHECK(golden.str() == text);
}

bool RunPassOk(Pass& pass, ir::Graph& graph, PassContext& context) {
  Expected<bool> changed = pass.Run(graph, context);
  REQUIRE_MESSAGE(changed.ok(), changed.status().ToString());
  const Status verified = ir::Verify(graph);
  REQUIRE_MESSAGE(verified.ok(), "after pass '" << pass.name() << "': " << verified.ToString());
  return *changed;
}

std::vector<NamedTensor> RunGraph(const ir::Graph& graph, const std::vector<NamedTensor>& inputs) {
  static int counter = 0;
  const fs::path path = fs::temp_directory_path() / ("qc_passes_test_" + std::to_string(getpid()) + "_" +
                                                      std::to_string(counter++) + ".qm");
  qm::ProvenanceSpec provenance;
  provenance.producer_name = "test_passes";
  // The tests feed ids, not text: drop metadata (TinyBert's tokenizer keys are IR-test data, not a .qm tokenizer).
  ir::Graph copy = graph;
  copy.mutable_metadata().clear();
  const Status exported = ExportQm(copy, provenance, path.string());
  REQUIRE_MESSAGE(exported.ok(), exported.ToString());
  auto model = Model::Load(path.string());
  REQUIRE_MESSAGE(model.ok(), model.status().ToString());
  auto session = Session::Create(*model);
  REQUIRE_MESSAGE(session.ok(), session.status().ToString());
  auto outputs = session->Run(inputs);
  REQUIRE_MESSAGE(outputs.ok(), outputs.status().ToString());
  std::error_code ec;
  fs::remove(path, ec);
  return std::move(outputs).value();
}

std::vector<NamedTensor> TinyBertInputs(int64_t seq) {
  std::vector<int64_t> ids, mask, types;
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t s = 0; s < seq; ++s) {
      const bool pad = b == 1 && s >= seq / 2;
      ids.push_back(pad ? 0 : (7 * s + 3 * b + 1) % 32);
      mask.push_back(pad ? 0 : 1);
      types.push_back(s >= seq / 2 ? 1 : 0);
    }
  }
  return {{"input_ids", HostTensor::Int64({2, seq}, ids)},
          {"attention_mask", HostTensor::Int64({2, seq}, mask)},
          {"token_type_ids", HostTensor::Int64({2, seq}, types)}};
}

void CheckBitIdentical(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(a[i].name);
    CHECK(a[i].name == b[i].name);
    REQUIRE(a[i].tensor.shape == b[i].tensor.shape);
    REQUIRE(a[i].tensor.floats.size() == b[i].tensor.floats.size());
    CHECK(a[i].tensor.floats.size() > 0);
    CHECK(std::memcmp(a[i].tensor.floats.data(), b[i].tensor.floats.data(), a[i].tensor.floats.size() * 4) == 0);
  }
}

}  // namespace qc::passes::test
