// ir/builder.h: the checked construction API importers and tests use.
//
// Overview
//   GraphBuilder adds graph inputs, named constants and nodes; each node's output dtypes and shapes come from
//   ir/shape_inference.h, and its attributes are completed with the op's defaults (ir/op_schema.h), so every node in
//   a built graph carries all its attributes explicitly. Every call validates its arguments and leaves the graph
//   unchanged on error; messages name the node ("node '/bert/pooler/dense/Gemm' (Linear): ...") or value.
//   Build() runs the verifier and hands over the Graph.
//   AppendInferredNode() is the same node-adding step as a free function, shared with ir/rewriter.h.
//
//   Value names: graph inputs, constants and graph outputs must be named; node outputs may stay unnamed (printed as
//   %<id>) or take names from `output_names` (e.g. the ONNX tensor names). Non-empty names are unique.
//
// Usage
//   qc::ir::GraphBuilder b;
//   QC_ASSIGN_OR_RETURN(auto ids, b.AddInput("input_ids", qc::ir::DType::kI64, {"batch", "sequence"}));
//   QC_ASSIGN_OR_RETURN(auto table, b.AddConstant("word_embeddings", std::move(tensor)));
//   QC_ASSIGN_OR_RETURN(auto x, b.AddOp(qc::ir::OpType::kEmbedding, "/embeddings/Gather", {ids, table}));
//   QC_ASSIGN_OR_RETURN(auto y, b.AddOp(qc::ir::OpType::kLayerNorm, "ln", {x, gamma, beta},
//                                       {{qc::ir::AttrName::kEpsilon, 1e-12}}));
//   QC_RETURN_IF_ERROR(b.MarkOutput(y, "hidden"));
//   QC_ASSIGN_OR_RETURN(qc::ir::Graph graph, std::move(b).Build());
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/attributes.h"
#include "ir/graph.h"
#include "ir/op_types.h"
#include "ir/shape.h"
#include "ir/tensor.h"
#include "qcompress/status.h"

namespace qc::ir {

/// Appends a node to `graph` with inferred output types and defaulted attributes, creating its output values
/// (named by `output_names`, which is empty or has one entry per output; "" leaves an output unnamed). Checks the op,
/// input ids (kNoValue only at optional positions; trailing ones are dropped), attributes and output names. The
/// graph is unchanged on error.
Expected<std::vector<ValueId>> AppendInferredNode(Graph& graph, OpType op, std::string name,
                                                  std::vector<ValueId> inputs, Attributes attributes,
                                                  std::vector<std::string> output_names = {});

class GraphBuilder {
 public:
  GraphBuilder() = default;
  /// Continues building an existing graph.
  explicit GraphBuilder(Graph graph) : graph_(std::move(graph)) {}

  /// A graph input; `name` non-empty and unique, `shape` valid (ValidateShape).
  Expected<ValueId> AddInput(std::string name, DType dtype, Shape shape);
  /// A constant value holding `tensor`; its dtype and shape are the tensor's.
  Expected<ValueId> AddConstant(std::string name, Tensor tensor);
  /// A node; returns its output value ids (see AppendInferredNode).
  Expected<std::vector<ValueId>> AddNode(OpType op, std::string name, std::vector<ValueId> inputs,
                                         Attributes attributes = {}, std::vector<std::string> output_names = {});
  /// AddNode for the (common) single-output ops; `output_name` may be empty.
  Expected<ValueId> AddOp(OpType op, std::string name, std::vector<ValueId> inputs, Attributes attributes = {},
                          std::string output_name = "");
  /// Appends `value` to the graph outputs under `name`: an unnamed value takes the name; a named value must already
  /// be called `name` (graph outputs are named by their value). A value can be an output once.
  Status MarkOutput(ValueId value, std::string name);
  /// Sets (or replaces) a metadata entry.
  void SetMetadata(std::string key, MetadataValue value) {
    graph_.mutable_metadata()[std::move(key)] = std::move(value);
  }

  const Graph& graph() const { return graph_; }
  /// Verifies the graph (ir/verifier.h) and moves it out.
  Expected<Graph> Build() &&;

 private:
  Graph graph_;
};

}  // namespace qc::ir
