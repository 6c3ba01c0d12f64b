#include "passes/fuse_gelu_epilogue.h"

#include "ir/rewriter.h"

namespace qc::passes {
namespace {

class FuseGeluEpiloguePass final : public Pass {
 public:
  std::string_view name() const override { return "fuse_gelu_epilogue"; }
  Expected<bool> Run(ir::Graph& graph, PassContext&) override {
    ir::Rewriter rw(graph);
    bool changed = false;
    QC_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.TopologicalOrder());
    for (ir::NodeId g : order) {
      const ir::Node& gelu = graph.node(g);
      if (gelu.erased || gelu.op != ir::OpType::kGelu) continue;
      const ir::ValueId x = gelu.inputs[0];
      const ir::NodeId p = graph.value(x).producer;
      if (p == ir::kNoNode || graph.node(p).op != ir::OpType::kQLinear) continue;
      if (graph.IsGraphOutput(x) || graph.Consumers(x).size() != 1) continue;
      QC_ASSIGN_OR_RETURN(int64_t epilogue,
                          graph.node(p).attributes.GetInt(ir::AttrName::kEpilogue, graph.DescribeNode(p)));
      if (epilogue != static_cast<int64_t>(ir::QEpilogue::kNone)) continue;
      QC_ASSIGN_OR_RETURN(ir::GeluApproximation approximation,
                          gelu.attributes.GetGeluApproximation(ir::AttrName::kApproximate, graph.DescribeNode(g)));
      const ir::QEpilogue fused =
          approximation == ir::GeluApproximation::kTanh ? ir::QEpilogue::kGeluTanh : ir::QEpilogue::kGeluErf;
      // Rule: Gelu(QLinear(x)) -> QLinear{epilogue = gelu}(x); the Gelu's output name moves to the QLinear.
      const ir::ValueId y = gelu.outputs[0];
      const std::string y_name = graph.value(y).name;
      const bool y_is_output = graph.IsGraphOutput(y);
      QC_RETURN_IF_ERROR(rw.SetAttribute(p, ir::AttrName::kEpilogue, static_cast<int64_t>(fused)));
      // A graph output keeps its name through ReplaceAllUsesWith, which needs the new value unnamed.
      if (y_is_output || !y_name.empty()) graph.mutable_value(x).name.clear();
      if (!y_is_output) graph.mutable_value(y).name.clear();
      QC_RETURN_IF_ERROR(rw.ReplaceAllUsesWith(y, x));
      QC_RETURN_IF_ERROR(rw.EraseNode(g));
      if (!y_is_output && !y_name.empty()) graph.mutable_value(x).name = y_name;
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeFuseGeluEpiloguePass() { return std::make_unique<FuseGeluEpiloguePass>(); }

}  // namespace qc::passes
