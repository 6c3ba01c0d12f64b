#include "importers/onnx/import.h"

#include <sstream>

#include "importers/onnx/analyze.h"
#include "importers/onnx/emit.h"
#include "importers/onnx/model_file.h"
#include "importers/onnx/patterns.h"
#include "importers/onnx/work_graph.h"

namespace qc::onnx_import {

std::string ImportReport::ToText() const {
  std::ostringstream out;
  out << "source:    " << source << "\n";
  out << "producer:  " << (producer.empty() ? "<unknown>" : producer) << ", ai.onnx opset " << opset << "\n";
  out << "nodes:     " << onnx_nodes << " ONNX -> " << ir_nodes << " IR\n";
  out << "patterns:\n";
  for (const auto& [pattern, count] : fusions) out << "  " << pattern << ": " << count << "\n";
  if (num_layers > 0) {
    out << "attention: " << num_layers << " block(s), " << num_heads << " heads, hidden " << hidden_size << "\n";
  }
  for (const std::string& note : notes) out << "note: " << note << "\n";
  return out.str();
}

namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Expected<ImportResult> ImportOnnxModel(onnx::ModelProto model, const std::string& base_dir,
                                       const ImportOptions& options, const std::string& source) {
  if (options.num_heads < 0) return InvalidArgument("ImportOptions.num_heads must be >= 0");
  auto shared = std::make_shared<const onnx::ModelProto>(std::move(model));
  ImportResult result;
  ImportReport& report = result.report;
  report.source = source;
  QC_ASSIGN_OR_RETURN(WGraph g, BuildWorkGraph(shared, base_dir, source, options.symbol_renames));
  report.producer = g.producer;
  report.opset = g.opset;
  report.onnx_nodes = static_cast<int64_t>(g.nodes.size());
  if (g.opset < 11 || g.opset > 20) {
    return Unsupported(source + " (producer '" + g.producer + "'): ai.onnx opset " + std::to_string(g.opset) +
                       " is not supported (11-20 are); re-export with opset_version between 11 and 20");
  }
  AnalyzeGraph(g);
  g.RemoveDeadNodes();

  PatternContext ctx{g, report, options};
  using Pass = int (*)(PatternContext&);
  const Pass passes[] = {RunCleanup,    DecomposeContribOps, FuseLayerNorm,   FuseGelu,    FuseLinear,
                         FuseAttention, FuseEmbeddings,      FuseVitFrontEnd, FusePooling, FuseHeadsAndElementwise};
  for (Pass pass : passes) {
    pass(ctx);
    g.RemoveDeadNodes();
  }
  QC_RETURN_IF_ERROR(CheckAllConverted(g));
  QC_ASSIGN_OR_RETURN(result.graph, EmitGraph(g));
  for (const ir::Node& n : result.graph.nodes()) report.ir_nodes += !n.erased;
  return result;
}

Expected<ImportResult> ImportOnnx(const std::string& path, const ImportOptions& options) {
  QC_ASSIGN_OR_RETURN(onnx::ModelProto model, ReadModelFile(path));
  return ImportOnnxModel(std::move(model), DirectoryOf(path), options, path);
}

}  // namespace qc::onnx_import
