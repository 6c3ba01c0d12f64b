// passes/dead_code.h: removes nodes and constants that do not reach a graph output, then renumbers the graph.
//
// Rule: a node none of whose outputs is used by a live node or is a graph output is erased (transitively); unused
// constants and tombstones are dropped by Rewriter::Compact(). Graph inputs stay (they are the model's signature).
// Value ids change: run it only where no pass holds ids (pipeline.cc).
#pragma once

#include <memory>

#include "passes/pass.h"

namespace qc::passes {

std::unique_ptr<Pass> MakeDeadCodePass();

}  // namespace qc::passes
