// passes/pass.h: the interface every graph rewrite implements, and the state passes share within one pipeline run.
//
// Overview
//   A Pass rewrites an ir::Graph in place and reports whether it changed anything. Passes match fully before they
//   mutate, so a pass that returns an error leaves a graph the verifier accepts. Passes never print; what a user
//   should see (per-layer summary, warnings) goes into the PassContext, which the caller formats.
//   The order of the passes, and why, is in ONE place: passes/pipeline.cc.
//
// Usage
//   qc::passes::PassContext context;
//   std::unique_ptr<qc::passes::Pass> pass = qc::passes::MakeDeadCodePass();
//   QC_ASSIGN_OR_RETURN(bool changed, pass->Run(graph, context));
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::passes {

/// One row of the per-layer report (`qcompress` prints these after compressing).
struct LayerSummary {
  std::string name;        ///< the node's source name
  std::string op;          ///< the op before lowering ("Linear", "Embedding", "Attention")
  std::string format;      ///< "t2/per_tensor", "i8/per_row", "f32", ...
  int64_t bytes_before = 0;  ///< float weight (+ bias) bytes
  int64_t bytes_after = 0;   ///< packed weight + scale (+ bias) bytes
  bool lowered = false;      ///< set by lower_quantized once the node became a quantized op
};

/// State shared by the passes of one pipeline run. Node ids stored here stay valid because no pass between
/// `calibrate` and `lower_quantized` renumbers the graph (only dead_code compacts; see pipeline.cc).
struct PassContext {
  /// Static activation ranges: node id of a static-annotated node -> max |x| of its input 0 seen in calibration
  /// (written by calibrate). Keyed by node, not value: lowering a producer replaces the value its consumers read.
  std::map<ir::NodeId, float> static_amax;
  /// One row per quantizable layer, in graph order (written by quantize_annotate and lower_quantized).
  std::vector<LayerSummary> layers;
  /// Non-fatal remarks for the user ("calibration saw only zeros at ...; using per-token scales").
  std::vector<std::string> warnings;
};

class Pass {
 public:
  virtual ~Pass() = default;
  /// The name used by --disable-pass and in error messages ("dead_code").
  virtual std::string_view name() const = 0;
  /// Rewrites `graph`; true when something changed. On error the graph is still valid (not necessarily unchanged
  /// for passes that rewrite several independent sites: sites done before the failing one stay done).
  virtual Expected<bool> Run(ir::Graph& graph, PassContext& context) = 0;
};

}  // namespace qc::passes
