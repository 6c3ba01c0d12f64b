#include "passes/calibrate.h"

#include <cmath>
#include <set>

#include "ir/rewriter.h"

namespace qc::passes {
namespace {

bool NeedsStaticScale(const ir::Node& node) {
  return !node.erased && node.quant && node.quant->activation &&
         node.quant->activation->mode == ir::ActivationMode::kStatic;
}

class CalibratePass final : public Pass {
 public:
  explicit CalibratePass(ActivationObserver* observer) : observer_(observer) {}
  std::string_view name() const override { return "calibrate"; }

  Expected<bool> Run(ir::Graph& graph, PassContext& context) override {
    const std::vector<ir::ValueId> targets = StaticActivationInputs(graph);
    if (targets.empty()) return false;
    if (observer_ == nullptr) {
      for (ir::NodeId n = 0; n < graph.num_nodes(); ++n) {
        if (NeedsStaticScale(graph.node(n))) {
          return FailedPrecondition(graph.DescribeNode(n) +
                                    ": static activation scales need calibration data (qcompress --calib FILE)");
        }
      }
      return Internal("calibrate: static inputs listed without a static node");
    }
    QC_ASSIGN_OR_RETURN(std::vector<float> amax, observer_->ObserveAbsMax(graph, targets));
    if (amax.size() != targets.size()) {
      return Internal("activation observer returned " + std::to_string(amax.size()) + " ranges for " +
                      std::to_string(targets.size()) + " values");
    }
    // Rule: static node whose input range is 0 -> dynamic per-token (no scale can be derived from 0).
    ir::Rewriter rw(graph);
    bool changed = false;
    for (size_t i = 0; i < targets.size(); ++i) {
      if (!std::isfinite(amax[i]) || amax[i] < 0) {
        return InvalidArgument("calibration range of " + graph.DescribeValue(targets[i]) + " is " +
                               std::to_string(amax[i]) + " (NaN or inf in the float model's activations)");
      }
      for (ir::NodeId n : graph.Consumers(targets[i])) {
        if (!NeedsStaticScale(graph.node(n)) || graph.node(n).inputs[0] != targets[i]) continue;
        if (amax[i] > 0) {
          context.static_amax[n] = amax[i];
          continue;
        }
        ir::QuantAnnotation q = *graph.node(n).quant;
        q.activation->mode = ir::ActivationMode::kDynamicPerToken;
        QC_RETURN_IF_ERROR(rw.SetQuant(n, q));
        context.warnings.push_back("calibration saw only zeros at the input of " + graph.DescribeNode(n) +
                                   "; it uses per-token activation scales");
        changed = true;
      }
    }
    return changed;
  }

 private:
  ActivationObserver* observer_;
};

}  // namespace

std::vector<ir::ValueId> StaticActivationInputs(const ir::Graph& graph) {
  std::set<ir::ValueId> values;
  for (const ir::Node& node : graph.nodes()) {
    if (NeedsStaticScale(node)) values.insert(node.inputs[0]);
  }
  return {values.begin(), values.end()};
}

std::unique_ptr<Pass> MakeCalibratePass(ActivationObserver* observer) {
  return std::make_unique<CalibratePass>(observer);
}

}  // namespace qc::passes
