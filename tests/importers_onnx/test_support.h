// tests/importers_onnx/test_support.h: helpers shared by the ONNX importer tests.
//
//   auto r = ImportFixture("onnx/bert_opset14_sdpa");          // tests/fixtures/<dir>/model.onnx
//   std::map<std::string, int> census = OpCensus(r->graph);    // "Attention" -> 2
//   std::string canonical = NormalizedText(r->graph);          // names and node comments stripped
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "importers/onnx/import.h"
#include "ir/printer.h"
#include "tests/support/test_paths.h"

namespace qc::test {

inline std::filesystem::path FixturePath(const std::string& dir) {
  return FixturesDir() / dir / "model.onnx";
}

inline Expected<onnx_import::ImportResult> ImportFixture(const std::string& dir,
                                                         const onnx_import::ImportOptions& options = {}) {
  return onnx_import::ImportOnnx(FixturePath(dir).string(), options);
}

/// Live node count per IR op name.
inline std::map<std::string, int> OpCensus(const ir::Graph& g) {
  std::map<std::string, int> census;
  for (const ir::Node& n : g.nodes()) {
    if (!n.erased) ++census[std::string(ir::OpTypeName(n.op))];
  }
  return census;
}

/// The printed graph with node-name comments removed and constant names replaced by @c<k> in order of appearance,
/// so two imports compare equal iff they compute the same thing with the same weights (hashes stay).
inline std::string NormalizedText(const ir::Graph& g) {
  std::string text = ir::PrintGraph(g);
  std::istringstream in(text);
  std::ostringstream out;
  std::map<std::string, std::string> names;
  const std::regex constant_ref(R"(@("(?:[^"\\]|\\.)*"|[A-Za-z_./:0-9-]+))");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("  source.", 0) == 0) continue;  // producer differs between exporters
    const size_t comment = line.find("  # ");
    if (comment != std::string::npos) line.resize(comment);
    std::string normalized;
    auto begin = std::sregex_iterator(line.begin(), line.end(), constant_ref);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const std::string name = (*it)[1].str();
      auto [entry, inserted] = names.emplace(name, "@c" + std::to_string(names.size()));
      normalized += line.substr(last, static_cast<size_t>(it->position()) - last) + entry->second;
      last = static_cast<size_t>(it->position() + it->length());
    }
    out << normalized << line.substr(last) << "\n";
  }
  return out.str();
}

/// Compares with tests/importers_onnx/golden/<name>; on a mismatch writes <name>.actual in the working directory.
inline bool MatchesGolden(const std::string& text, const std::string& name, std::string* message) {
  const auto path = SourceDir() / "tests" / "importers_onnx" / "golden" / name;
  std::ifstream in(path, std::ios::binary);
  std::stringstream golden;
  golden << in.rdbuf();
  if (in.good() && golden.str() == text) return true;
  std::ofstream(name + ".actual", std::ios::binary) << text;
  *message = "imported graph differs from " + path.string() + "; wrote " + name + ".actual";
  return false;
}

}  // namespace qc::test
