#include "passes/constant_folding.h"

#include <algorithm>
#include <optional>

#include "ir/rewriter.h"
#include "passes/naming.h"

namespace qc::passes {
namespace {

// Broadcast dims of a and b (numpy rules); nullopt when they do not broadcast.
std::optional<std::vector<int64_t>> BroadcastDims(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    const int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Flat index into an operand of dims `in` for the output multi-index of flat index `flat` over `out`.
size_t SourceIndex(size_t flat, const std::vector<int64_t>& out, const std::vector<int64_t>& in) {
  size_t index = 0, stride = 1;
  for (size_t i = out.size(); i-- > 0;) {
    const auto coord = static_cast<size_t>(flat % static_cast<size_t>(out[i]));
    flat /= static_cast<size_t>(out[i]);
    const size_t j = i + in.size();
    if (j < out.size()) continue;  // a leading broadcast axis of `in`
    const auto d = static_cast<size_t>(in[j - out.size()]);
    if (d != 1) index += coord * stride;
    stride *= d;
  }
  return index;
}

template <typename T>
Expected<ir::Tensor> Fold(ir::OpType op, const ir::Tensor& a, const ir::Tensor& b, const std::vector<int64_t>& dims) {
  QC_ASSIGN_OR_RETURN(std::vector<T> va, a.ToVector<T>());
  QC_ASSIGN_OR_RETURN(std::vector<T> vb, b.ToVector<T>());
  size_t count = 1;
  for (int64_t d : dims) count *= static_cast<size_t>(d);
  std::vector<T> out(count);
  for (size_t i = 0; i < count; ++i) {
    const T x = va[SourceIndex(i, dims, a.dims())];
    const T y = vb[SourceIndex(i, dims, b.dims())];
    out[i] = op == ir::OpType::kAdd ? x + y : op == ir::OpType::kSub ? x - y : x * y;
  }
  return ir::Tensor::FromVector<T>(dims, std::move(out));
}

class ConstantFoldingPass final : public Pass {
 public:
  std::string_view name() const override { return "constant_folding"; }
  Expected<bool> Run(ir::Graph& graph, PassContext&) override {
    ir::Rewriter rw(graph);
    bool changed = false;
    QC_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.TopologicalOrder());
    for (ir::NodeId n : order) {
      const ir::Node& node = graph.node(n);
      // Rule: Add/Sub/Mul(constant, constant) -> constant (elementwise, exact).
      if (node.op != ir::OpType::kAdd && node.op != ir::OpType::kSub && node.op != ir::OpType::kMul) continue;
      const ir::Value& a = graph.value(node.inputs[0]);
      const ir::Value& b = graph.value(node.inputs[1]);
      const ir::ValueId out = node.outputs[0];
      if (!a.constant || !b.constant || graph.IsGraphOutput(out) || node.quant) continue;
      const auto dims = BroadcastDims(a.constant->dims(), b.constant->dims());
      if (!dims) continue;  // the verifier would have refused this; leave it to report
      Expected<ir::Tensor> folded = InvalidArgument("unsupported dtype");
      switch (a.dtype) {
        case ir::DType::kF32: folded = Fold<float>(node.op, *a.constant, *b.constant, *dims); break;
        case ir::DType::kI64: folded = Fold<int64_t>(node.op, *a.constant, *b.constant, *dims); break;
        case ir::DType::kI32: folded = Fold<int32_t>(node.op, *a.constant, *b.constant, *dims); break;
        default: continue;
      }
      if (!folded.ok()) return folded.status().WithContext(graph.DescribeNode(n));
      const std::string base = !graph.value(out).name.empty() ? graph.value(out).name
                               : !node.name.empty()           ? node.name + ".folded"
                                                              : "folded." + std::to_string(n);
      // Mutation starts here; every check above has passed.
      graph.mutable_value(out).name.clear();  // the constant takes the name
      const std::string const_name = UniqueValueName(graph, base);
      QC_ASSIGN_OR_RETURN(ir::ValueId c, rw.AddConstant(const_name, std::move(folded).value()));
      QC_RETURN_IF_ERROR(rw.ReplaceAllUsesWith(out, c).WithContext(graph.DescribeNode(n)));
      QC_RETURN_IF_ERROR(rw.EraseNode(n));
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeConstantFoldingPass() { return std::make_unique<ConstantFoldingPass>(); }

}  // namespace qc::passes
