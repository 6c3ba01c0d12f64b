#include "passes/pipeline.h"

#include <algorithm>
#include <functional>
#include <memory>

#include "ir/printer.h"
#include "ir/rewriter.h"
#include "ir/verifier.h"
#include "passes/constant_folding.h"
#include "passes/dead_code.h"
#include "passes/fuse_gelu_epilogue.h"
#include "passes/lower_quantized.h"
#include "passes/merge_qkv.h"
#include "passes/quantize_annotate.h"

namespace qc::passes {
namespace {

struct Stage {
  std::string_view name;
  std::function<std::unique_ptr<Pass>(const PipelineOptions&)> make;
};

// THE pipeline order. Each line: the pass, and why it sits where it does.
const std::vector<Stage>& Stages() {
  static const std::vector<Stage> stages = {
      // First: constant subgraphs become plain constants, so every later matcher sees a weight as one constant.
      {"constant_folding", [](const PipelineOptions&) { return MakeConstantFoldingPass(); }},
      // Before annotation: what folding left dead (and dead import leftovers) must not be quantized or reported;
      // it renumbers ids, so it runs before any pass stores ids in the context.
      {"dead_code", [](const PipelineOptions&) { return MakeDeadCodePass(); }},
      // Decisions on the clean float graph: every later pass acts only on annotated nodes.
      {"quantize_annotate", [](const PipelineOptions& o) { return MakeQuantizeAnnotatePass(o.quant); }},
      // After annotation (it needs to know which inputs are static), before lowering (which consumes the ranges),
      // while the graph is still float so the observer can run it.
      {"calibrate", [](const PipelineOptions& o) { return MakeCalibratePass(o.observer); }},
      // Replaces annotated float ops by quantized ops with packed weights; needs annotations and ranges.
      {"lower_quantized", [](const PipelineOptions&) { return MakeLowerQuantizedPass(); }},
      // It matches QLinear, which exists only after lowering.
      {"fuse_gelu_epilogue", [](const PipelineOptions&) { return MakeFuseGeluEpiloguePass(); }},
      // Last: it matches lowered QLinear / QAttention, after the GELU fusion so each QLinear has its final epilogue
      // (the rule refuses one); q/k/v projections never feed a Gelu, so the order changes no BERT graph.
      {"merge_qkv", [](const PipelineOptions&) { return MakeMergeQkvPass(); }},
  };
  return stages;
}

}  // namespace

std::vector<std::string_view> PipelinePassNames() {
  std::vector<std::string_view> names;
  for (const Stage& s : Stages()) names.push_back(s.name);
  return names;
}

Status CheckPassNames(const std::vector<std::string>& names) {
  const std::vector<std::string_view> known = PipelinePassNames();
  for (const std::string& d : names) {
    if (std::find(known.begin(), known.end(), d) == known.end()) {
      std::string list;
      for (std::string_view n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      return InvalidArgument("unknown pass '" + d + "' (passes: " + list + ")");
    }
  }
  return Status::Ok();
}

Expected<PipelineResult> RunPasses(ir::Graph& graph, std::vector<std::unique_ptr<Pass>> passes,
                                   const PipelineOptions& options) {
  QC_RETURN_IF_ERROR(ir::Verify(graph).WithContext("pipeline input"));
  PipelineResult result;
  for (const std::unique_ptr<Pass>& pass : passes) {
    const std::string name(pass->name());
    Expected<bool> changed = pass->Run(graph, result.context);
    if (!changed.ok()) return changed.status().WithContext("pass '" + name + "'");
    result.ran.push_back(name);
    if (*changed) result.changed.push_back(name);
    if (options.verify_each) QC_RETURN_IF_ERROR(ir::Verify(graph).WithContext("after pass '" + name + "'"));
    if (options.dump != nullptr && *changed) *options.dump << "# after " << name << "\n" << ir::PrintGraph(graph);
  }
  // Drop what lowering replaced (float weights, erased nodes) and renumber deterministically.
  ir::Rewriter rw(graph);
  rw.EliminateDeadCode();
  QC_RETURN_IF_ERROR(rw.Compact().status().WithContext("pipeline compaction"));
  QC_RETURN_IF_ERROR(ir::Verify(graph).WithContext("pipeline output"));
  return result;
}

Expected<PipelineResult> RunPipeline(ir::Graph& graph, const PipelineOptions& options) {
  QC_RETURN_IF_ERROR(CheckPassNames(options.disabled));
  std::vector<std::unique_ptr<Pass>> passes;
  for (const Stage& stage : Stages()) {
    if (std::find(options.disabled.begin(), options.disabled.end(), stage.name) != options.disabled.end()) continue;
    passes.push_back(stage.make(options));
  }
  return RunPasses(graph, std::move(passes), options);
}

}  // namespace qc::passes
