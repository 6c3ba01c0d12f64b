// importers/onnx/patterns.h: the canonicalisation passes, one pattern family per file (patterns_*.cc).
//
// Overview
//   Each pass scans the live nodes of a WGraph for its anchor op, matches the whole subgraph first (no edit before
//   the match is complete) and then replaces it by canonical nodes (WGraph::AddCanonical) that take over the
//   subgraph's output values. A pass returns how many rewrites it made and counts them in the report. Where a pass
//   recognises an anchor but must give up, it leaves a `note` on the node; if the node is still live at the end, the
//   unsupported-op report quotes it. Passes run in the order below (ImportOnnxModel in import.cc); later passes rely
//   on earlier ones (attention consumes Linear outputs, the embedding pass needs LayerNorm done, ...).
//
// Usage
//   PatternContext ctx{graph, report, options};
//   RunCleanup(ctx); DecomposeContribOps(ctx); FuseLayerNorm(ctx); ...
#pragma once

#include <string>

#include "importers/onnx/import.h"
#include "importers/onnx/work_graph.h"

namespace qc::onnx_import {

struct PatternContext {
  WGraph& g;
  ImportReport& report;
  const ImportOptions& options;

  /// Adds a report note once.
  void Note(const std::string& text);
};

/// Identity, inference Dropout, no-op Cast/Reshape/Expand/(Un)Squeeze/Flatten/Transpose removal (patterns_cleanup.cc).
int RunCleanup(PatternContext& ctx);
/// com.microsoft SkipLayerNormalization, EmbedLayerNormalization, Attention, MultiHeadAttention, BiasGelu, FastGelu,
/// Gelu -> ai.onnx Adds + canonical ops, so the generic passes finish them (patterns_contrib.cc).
int DecomposeContribOps(PatternContext& ctx);
/// Decomposed (opset < 17, incl. duplicated Sub and Reciprocal forms) and native LayerNormalization.
int FuseLayerNorm(PatternContext& ctx);
/// Erf and Tanh GELU polynomials in any association, native Gelu (opset 20).
int FuseGelu(PatternContext& ctx);
/// MatMul(x, W) [+ Add(bias)] and Gemm -> Linear(x, W[out, in], bias).
int FuseLinear(PatternContext& ctx);
/// Eager and SDPA multi-head attention (split scale, NaN guard, mask chains) -> Attention.
int FuseAttention(PatternContext& ctx);
/// Word / token-type / position embedding Gathers -> Embedding, constant rows, AddPositionEmbedding.
int FuseEmbeddings(PatternContext& ctx);
/// Conv patch embedding -> PatchEmbed, CLS Expand + Concat -> PrependToken, position Add -> AddPositionEmbedding.
int FuseVitFrontEnd(PatternContext& ctx);
/// Sentence-embedding heads: masked / plain mean pooling -> MeanPool, Div(x, clamp(ReduceL2(x))) -> L2Normalize.
int FusePooling(PatternContext& ctx);
/// CLS selection (Gather axis 1 / Slice + Squeeze) -> SelectToken, then Tanh, Relu, Softmax and elementwise
/// Add/Sub/Mul/Div-by-constant on activations -> their IR ops (patterns_elementwise.cc).
int FuseHeadsAndElementwise(PatternContext& ctx);

}  // namespace qc::onnx_import
