// importers/onnx/analyze.h: what the importer knows about every value before pattern matching.
//
// Overview
//   AnalyzeGraph() walks the live nodes in topological order and, for each output value, infers
//   - the ONNX element type and the symbolic shape (importers/onnx/shape_rules.cc; unknown ops leave them unknown),
//   - symbolic elements of small integer tensors (`Shape -> Gather -> Unsqueeze -> Concat` gives
//     [batch, sequence, -1, 16]), so reshape targets computed at run time are understood,
//   - constant contents when every input is constant (evaluated with importers/onnx/eval.h) or when the symbolic
//     elements are all numbers (`Shape` of a static shape).
//   Nothing here fails the import: a node that cannot be analysed gets a `note` and unknown facts; the final
//   "every live node converted" check reports it if it still matters.
//
// Usage
//   AnalyzeGraph(graph);                        // after BuildWorkGraph, and again after rewrites that add nodes
//   const WValue& v = graph.values[id];         // v.shape, v.sym, v.constant
//   std::optional<std::vector<SymDim>> e = SymElements(graph, id);
#pragma once

#include <optional>
#include <vector>

#include "importers/onnx/work_graph.h"

namespace qc::onnx_import {

/// Analyses every live node (in topological order).
void AnalyzeGraph(WGraph& graph);
/// Analyses one node from its inputs' current facts.
void AnalyzeNode(WGraph& graph, int node);

/// Elements of a rank-0/1 integer value: its constant contents (up to 64 elements) or its symbolic elements.
std::optional<std::vector<SymDim>> SymElements(const WGraph& graph, int value);

/// Infers output types and shapes of `node` from its inputs (shape_rules.cc). Leaves unknown what it cannot infer.
void InferShapes(WGraph& graph, int node);

/// Numpy broadcast of symbolic shapes; unknown dims where it cannot be decided; nullopt for a provable mismatch.
std::optional<SymShape> BroadcastSym(const SymShape& a, const SymShape& b);

/// Integer contents of a constant value (any integer dtype), or nullopt.
std::optional<std::vector<int64_t>> ConstInts(const WGraph& graph, int value);
/// Contents of a constant value as doubles (float or integer dtypes), or nullopt.
std::optional<std::vector<double>> ConstDoubles(const WGraph& graph, int value);
/// The single element of a constant holding exactly one element, as a double.
std::optional<double> ConstScalar(const WGraph& graph, int value);

}  // namespace qc::onnx_import
