#include "passes/naming.h"

#include <unordered_set>

namespace qc::passes {

std::string UniqueValueName(const ir::Graph& graph, const std::string& base) {
  std::unordered_set<std::string> names;
  for (const ir::Value& v : graph.values()) {
    if (!v.name.empty()) names.insert(v.name);
  }
  std::string name = base;
  for (int i = 1; names.count(name) != 0; ++i) name = base + "." + std::to_string(i);
  return name;
}

}  // namespace qc::passes
