// ir/printer.h: a deterministic text dump of a Graph, for golden tests, debugging and `qcompress inspect`.
//
// Overview
//   The text depends only on the graph: nodes in Graph::TopologicalOrder() (ties by lowest id), constants and
//   metadata in id / key order, floats in shortest round-trip form, constants as a content hash instead of data.
//   The same graph prints byte-identically on every platform and run. Format (docs/ir.md has the full grammar):
//
//     graph inputs: %input_ids: i64[batch, sequence], %attention_mask: i64[batch, sequence]
//     constant @word_embeddings: f32[100, 16] (hash 0x8f3a...)
//     %4: f32[batch, sequence, 16] = Embedding(%input_ids, @word_embeddings) {}  # /embeddings/Gather
//     %logits: f32[batch, 2] = Linear(%9, @classifier.weight, @classifier.bias) {} quant{w=t2/per_row}  # /cls/Gemm
//     outputs: %logits
//     metadata:
//       tokenizer.lowercase = 1
//
//   Values print as @name (constants), %name (named) or %<id> (unnamed); names that are not plain identifiers are
//   quoted (%"365"); an absent optional input prints as _. A graph that is not a DAG or has out-of-range ids still
//   prints (nodes in id order, with a leading "# ..." note), so the printer is safe on broken graphs.
//
// Usage
//   std::cout << qc::ir::PrintGraph(graph);
//   CHECK(qc::ir::PrintGraph(graph) == ReadFile("tests/ir/golden/tiny_bert.txt"));
#pragma once

#include <string>

#include "ir/graph.h"

namespace qc::ir {

/// The whole graph, one item per line, ending with a newline.
std::string PrintGraph(const Graph& graph);

/// One node line without the trailing newline (as in PrintGraph).
std::string PrintNode(const Graph& graph, NodeId id);

/// How a node line refers to a value: "@name", "%name", "%12", or "_" for kNoValue.
std::string PrintValueRef(const Graph& graph, ValueId value);

}  // namespace qc::ir
