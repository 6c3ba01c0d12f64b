// Removal of nodes that do not change their input at inference time.
#include "importers/onnx/analyze.h"
#include "importers/onnx/match_util.h"
#include "importers/onnx/patterns.h"

namespace qc::onnx_import {
namespace {

// Returns the input that `node` passes through unchanged, or -1.
int PassThroughInput(const WGraph& g, const WNode& n) {
  if (!n.domain.empty() || n.inputs.empty() || n.inputs[0] < 0 || n.outputs.empty() || n.outputs[0] < 0) return -1;
  const int x = n.inputs[0], y = n.outputs[0];
  const WValue& in = g.values[static_cast<size_t>(x)];
  const WValue& out = g.values[static_cast<size_t>(y)];
  const std::string& op = n.op_type;
  // Identity(x) => x
  if (op == "Identity") return x;
  // Dropout(x, ratio, training_mode = false) => x   (the mask output must be unused)
  if (op == "Dropout") {
    if (n.outputs.size() > 1 && n.outputs[1] >= 0 &&
        (!g.Consumers(n.outputs[1]).empty() || g.IsGraphOutput(n.outputs[1]))) {
      return -1;
    }
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
      auto training = ScalarOf(g, n.inputs[2]);
      if (!training || *training != 0.0) return -1;
    }
    return x;
  }
  // Cast(x, to = dtype(x)) => x
  if (op == "Cast") return in.dtype != 0 && AttrInt(n, "to", 0) == in.dtype ? x : -1;
  // Reshape / Expand / (Un)Squeeze / Flatten whose output shape equals the input shape => x
  if (op == "Reshape" || op == "Expand" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten") {
    return in.shape && out.shape && SameShape(*in.shape, *out.shape) && in.dtype == out.dtype ? x : -1;
  }
  // Transpose(x, perm = identity) => x
  if (op == "Transpose") {
    auto perm = AttrInts(n, "perm");
    if (!perm) return -1;  // the default reverses the axes
    for (size_t k = 0; k < perm->size(); ++k) {
      if ((*perm)[k] != static_cast<int64_t>(k)) return -1;
    }
    return x;
  }
  return -1;
}

}  // namespace

int RunCleanup(PatternContext& ctx) {
  WGraph& g = ctx.g;
  int removed = 0;
  for (int id : g.LiveNodes()) {
    const WNode& n = g.nodes[static_cast<size_t>(id)];
    if (n.erased) continue;
    const int x = PassThroughInput(g, n);
    if (x < 0) continue;
    const int y = n.outputs[0];
    // A graph output must stay the output of a node (it keeps its name); a graph input or constant cannot take it.
    if (g.IsGraphOutput(y) && (g.values[static_cast<size_t>(x)].producer < 0)) continue;
    if (g.IsGraphOutput(y) && g.IsGraphOutput(x)) continue;
    g.ReplaceAllUses(y, x);
    g.Erase(id);
    ++removed;
  }
  if (removed > 0) ctx.report.Count("noop_removed", removed);
  return removed;
}

}  // namespace qc::onnx_import
