// importers/onnx/import.h: ONNX BERT/ViT exports -> the IR's transformer op set.
//
// Overview
//   ImportOnnx() reads a model (opsets 11-20 of ai.onnx, plus the com.microsoft fused ops of ORT-optimised exports),
//   resolves external data safely (mmapped, path-checked), analyses shapes symbolically, folds the shape chains,
//   and canonicalises the graph with one pattern family per file (docs/onnx-import.md):
//     cleanup (Identity, Dropout, no-op Cast/Reshape) -> com.microsoft decomposition -> LayerNorm -> GELU -> Linear
//     -> attention (eager and SDPA, masks classified by probing) -> embeddings -> ViT front end -> mean pooling /
//     L2 normalisation -> heads (CLS selection, Tanh) -> remaining elementwise ops.
//   Success means every node contributing to an output became an IR op; the graph passes ir::Verify. Otherwise the
//   status is kUnsupported and lists EVERY unconverted node at once (name, op type, domain, opset, producer, and the
//   reason a pattern gave up, with re-export hints for fused/quantized ops). A partially converted graph is never
//   returned.
//
//   The ImportReport says what matched (per pattern counts, like ORT's "Fused Attention count"), the inferred
//   num_heads / hidden size / layer count, and semantic notes (e.g. "mask fill -inf mapped to the lowest float").
//   Graph metadata: source.format = "onnx", source.producer, source.opset; IR nodes keep the ONNX scope names.
//
// Usage
//   qc::onnx_import::ImportOptions options;          // options.num_heads = 12 to insist on a head count
//   QC_ASSIGN_OR_RETURN(qc::onnx_import::ImportResult r, qc::onnx_import::ImportOnnx("bert/model.onnx", options));
//   std::cout << r.report.ToText();
//   qc::ir::Graph graph = std::move(r.graph);
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::onnx_import {

struct ImportOptions {
  /// Attention head count to use; 0 = infer from the head-split Reshape. A value that contradicts the graph is an
  /// error (the reshape defines the computation); it is needed only when the split cannot be read from the graph.
  int64_t num_heads = 0;
  /// dim_param renames applied to graph inputs, e.g. the default maps the exporters' names to the IR's.
  std::map<std::string, std::string> symbol_renames = {{"batch_size", "batch"}, {"sequence_length", "sequence"}};
};

struct ImportReport {
  std::string source;    ///< the model path (or "<memory>")
  std::string producer;  ///< "pytorch 2.15.0"
  int64_t opset = 0;     ///< ai.onnx opset
  int64_t onnx_nodes = 0;
  int64_t ir_nodes = 0;
  /// Pattern name -> matches: "embedding", "position_embedding", "layernorm", "gelu", "linear", "attention", ...
  std::map<std::string, int64_t> fusions;
  int64_t num_heads = 0;           ///< 0 when the model has no attention
  int64_t hidden_size = 0;         ///< attention width (q/k/v size), 0 when no attention
  int64_t num_layers = 0;          ///< attention blocks
  std::vector<std::string> notes;  ///< semantic details worth knowing (fill values, assumptions)

  void Count(const std::string& pattern, int64_t n = 1) { fusions[pattern] += n; }
  /// Multi-line text: source, producer/opset, node counts, one line per pattern, inferred sizes, notes.
  std::string ToText() const;
};

struct ImportResult {
  ir::Graph graph;
  ImportReport report;
};

/// Imports `path`; external data is resolved relative to its directory.
Expected<ImportResult> ImportOnnx(const std::string& path, const ImportOptions& options = {});

/// Imports an already parsed model; `base_dir` resolves external data ("" = current directory). `source` names the
/// model in messages.
Expected<ImportResult> ImportOnnxModel(onnx::ModelProto model, const std::string& base_dir,
                                       const ImportOptions& options = {}, const std::string& source = "<memory>");

}  // namespace qc::onnx_import
