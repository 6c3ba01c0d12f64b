#include "passes/dead_code.h"

#include "ir/rewriter.h"

namespace qc::passes {
namespace {

class DeadCodePass final : public Pass {
 public:
  std::string_view name() const override { return "dead_code"; }
  Expected<bool> Run(ir::Graph& graph, PassContext&) override {
    ir::Rewriter rw(graph);
    const size_t erased = rw.EliminateDeadCode();
    const size_t values_before = graph.num_values();
    const size_t nodes_before = graph.num_nodes();
    // Rule: drop tombstones and values nothing refers to (dead constants included).
    QC_ASSIGN_OR_RETURN(ir::CompactionMap map, rw.Compact());
    (void)map;
    return erased > 0 || graph.num_values() != values_before || graph.num_nodes() != nodes_before;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeDeadCodePass() { return std::make_unique<DeadCodePass>(); }

}  // namespace qc::passes
