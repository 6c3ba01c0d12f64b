// passes/naming.h: fresh value names for constants a pass adds (value names are unique in a graph).
#pragma once

#include <string>

#include "ir/graph.h"

namespace qc::passes {

/// `base` if no value of `graph` has that name, else the first free "<base>.1", "<base>.2", ...
std::string UniqueValueName(const ir::Graph& graph, const std::string& base);

}  // namespace qc::passes
