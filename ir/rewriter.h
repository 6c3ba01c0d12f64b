// ir/rewriter.h: the mutation API passes, QAT write-back and exporters use to change a Graph.
//
// Overview
//   Every method checks its preconditions first and leaves the graph unchanged when it returns an error, so a pass
//   can match, try, and bail out cleanly. Types are kept consistent: replacements must have the same dtype and shape,
//   and edits that change a node's inputs or attributes re-run shape inference and are refused if the node's output
//   types would change.
//   Removal is two-phase: EraseNode() and EliminateDeadCode() leave tombstones (Node::erased) so ids held by a pass
//   stay valid; Compact() then drops tombstones and unreferenced values (unused constants included) and renumbers:
//   nodes in deterministic topological order (lowest old id first among ready nodes), values in their old relative
//   order. It returns the old -> new id maps.
//
// Usage
//   qc::ir::Rewriter rw(graph);
//   // x -> Gelu(x) becomes x -> Gelu(x, tanh) through a new node:
//   QC_ASSIGN_OR_RETURN(auto y, rw.InsertOp(qc::ir::OpType::kGelu, "gelu_tanh", {x},
//                                          {{qc::ir::AttrName::kApproximate, int64_t{1}}}));
//   QC_RETURN_IF_ERROR(rw.ReplaceAllUsesWith(old_out, y));
//   size_t erased = rw.EliminateDeadCode();
//   QC_ASSIGN_OR_RETURN(qc::ir::CompactionMap map, rw.Compact());
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "ir/graph.h"
#include "ir/quant.h"
#include "ir/tensor.h"
#include "qcompress/status.h"

namespace qc::ir {

/// Old id -> new id after Compact(); kNoValue / kNoNode for what was dropped.
struct CompactionMap {
  std::vector<ValueId> values;
  std::vector<NodeId> nodes;
};

class Rewriter {
 public:
  explicit Rewriter(Graph& graph) : graph_(graph) {}

  /// Makes every use of `from` a use of `to`: live-node input slots and graph-output entries. Uses inside the nodes
  /// `to` is computed from keep `from` (replacing them would create a cycle), so "insert f after x, then replace x by
  /// f(x)" works. Both values need the same dtype and shape. A graph output keeps its name: `to` takes `from`'s name,
  /// so `to` must be unnamed (or already carry that name) and `from` must not be a graph input or constant.
  Status ReplaceAllUsesWith(ValueId from, ValueId to);

  /// Sets input `index` of a live node (index may extend the list up to the op's max inputs; kNoValue clears an
  /// optional input). Refused if it would create a cycle or change the node's output types.
  Status SetInput(NodeId node, size_t index, ValueId value);

  /// Sets or replaces an attribute; refused if its kind is wrong or the node's output types would change.
  Status SetAttribute(NodeId node, AttrName name, AttrValue value);

  /// Attaches (or with std::nullopt removes) a quantization annotation after validating it.
  Status SetQuant(NodeId node, std::optional<QuantAnnotation> annotation);

  /// Appends a node with inferred output types (see AppendInferredNode in ir/builder.h).
  Expected<std::vector<ValueId>> InsertNode(OpType op, std::string name, std::vector<ValueId> inputs,
                                            Attributes attributes = {}, std::vector<std::string> output_names = {});
  /// InsertNode for single-output ops.
  Expected<ValueId> InsertOp(OpType op, std::string name, std::vector<ValueId> inputs, Attributes attributes = {},
                             std::string output_name = "");

  /// Adds a named constant value.
  Expected<ValueId> AddConstant(std::string name, Tensor tensor);
  /// Replaces a constant's tensor by one of the same dtype and dims (e.g. weights written back after training).
  Status SetConstant(ValueId id, Tensor tensor);

  /// Tombstones a live node whose outputs are unused (no live consumer, not a graph output); its output values lose
  /// their producer and are dropped by Compact().
  Status EraseNode(NodeId node);

  /// Erases, transitively, every live node none of whose outputs is used by a live node or is a graph output.
  /// Returns how many nodes were erased.
  size_t EliminateDeadCode();

  /// Drops tombstones and unreferenced values and renumbers (see the overview). Fails, changing nothing, if the live
  /// nodes contain a cycle.
  Expected<CompactionMap> Compact();

 private:
  Status CheckLiveNode(NodeId node, const char* operation) const;
  /// Per node id: whether `value` is computed (transitively) from that node's outputs.
  std::vector<bool> UpstreamNodes(ValueId value) const;
  /// Re-infers `node` after an edit; on a changed output type restores `saved` and reports it.
  Status ReinferOrRestore(NodeId node, Node saved, const char* operation);

  Graph& graph_;
};

}  // namespace qc::ir
