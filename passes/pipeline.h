// passes/pipeline.h: the compression pipeline — which passes run, in which order — as one call.
//
// Overview
//   RunPipeline runs the passes listed in passes/pipeline.cc (THE place that fixes the order, with a reason for each
//   position) over a verified float graph. Any pass can be disabled by name (an unknown name is an error that lists
//   the known ones). With `verify_each` (on by default in debug builds) the IR verifier runs after every pass and
//   its error names the pass; with `dump` the graph is printed (ir/printer.h) after every pass that changed it.
//   The graph is compacted (renumbered, unused constants dropped) at the end, so equal inputs give equal graphs.
//
// Usage
//   qc::passes::PipelineOptions options;
//   QC_ASSIGN_OR_RETURN(options.quant, qc::passes::DefaultQuantConfig(2));
//   options.disabled = {"constant_folding"};
//   QC_ASSIGN_OR_RETURN(qc::passes::PipelineResult result, qc::passes::RunPipeline(graph, options));
//   for (const auto& layer : result.context.layers) std::cout << layer.name << " " << layer.format << "\n";
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"
#include "passes/calibrate.h"
#include "passes/pass.h"
#include "passes/quant_config.h"
#include "qcompress/status.h"

namespace qc::passes {

#ifdef NDEBUG
inline constexpr bool kVerifyEachPassDefault = false;
#else
inline constexpr bool kVerifyEachPassDefault = true;
#endif

struct PipelineOptions {
  QuantConfig quant;
  /// Runs the float model for the calibrate pass; null = no calibration data (static modes then fail).
  ActivationObserver* observer = nullptr;
  /// Pass names to skip (each must be a pipeline pass).
  std::vector<std::string> disabled;
  bool verify_each = kVerifyEachPassDefault;
  /// If set, "# after <pass>" and the printed graph follow every pass that changed the graph.
  std::ostream* dump = nullptr;
};

struct PipelineResult {
  PassContext context;
  std::vector<std::string> ran;      ///< passes that ran, in order
  std::vector<std::string> changed;  ///< of those, the ones that changed the graph
};

/// The pipeline's pass names in order.
std::vector<std::string_view> PipelinePassNames();

/// OK when every name is a pipeline pass; else InvalidArgument naming the unknown one and listing the passes.
Status CheckPassNames(const std::vector<std::string>& names);

/// Runs `passes` in order with the pipeline's checks (verify_each, dump; `options.disabled` is ignored here), then
/// compacts. RunPipeline calls it; tests use it to check the checks with passes of their own.
Expected<PipelineResult> RunPasses(ir::Graph& graph, std::vector<std::unique_ptr<Pass>> passes,
                                   const PipelineOptions& options);

/// Runs the pipeline on `graph` (which must verify). On error the message starts with "pass '<name>': ".
Expected<PipelineResult> RunPipeline(ir::Graph& graph, const PipelineOptions& options);

}  // namespace qc::passes
