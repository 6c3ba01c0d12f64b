// ir/graph.h: the in-memory graph every qcompress stage shares.
//
// Overview
//   Flat arrays addressed by uint32 ids (XNNPACK style): `values()` and `nodes()`. A Value is a typed edge: a graph
//   input, a constant (it holds a Tensor), or the output of exactly one node. A Node applies an OpType to input value
//   ids and defines output value ids. Ordered graph inputs and outputs list value ids; `metadata` carries everything
//   that is not computation (tokenizer vocab and flags, image preprocessing, provenance) in key order.
//
//   Invariants (checked by ir/verifier.h, which passes run after every change in debug builds):
//   - every id is in range; a node input is kNoValue only at an optional position;
//   - non-empty value names are unique; graph inputs, outputs and constants are named; intermediates may be unnamed
//     and print as %<id>;
//   - every value used by a live node is a graph input, a constant, or the output of one live node; the graph is
//     acyclic (node array order is NOT required to be topological: inserted nodes are appended, use
//     TopologicalOrder());
//   - each output value's `producer` is the node that lists it; dtypes/shapes match ir/shape_inference.h.
//   Erased nodes stay in the array as tombstones (`erased`) until Rewriter::Compact() renumbers; every query here
//   skips them.
//
//   Build graphs with ir/builder.h, change them with ir/rewriter.h; the mutable accessors below are the low-level
//   escape hatch those use (and tests use to break invariants on purpose).
//
// Usage
//   const qc::ir::Graph& g = builder.graph();
//   QC_ASSIGN_OR_RETURN(qc::ir::ValueId ids, g.FindValue("input_ids"));
//   for (qc::ir::NodeId n : g.Consumers(ids)) std::cout << g.DescribeNode(n) << "\n";
//   QC_ASSIGN_OR_RETURN(std::vector<qc::ir::NodeId> order, g.TopologicalOrder());
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ir/attributes.h"
#include "ir/dtype.h"
#include "ir/op_types.h"
#include "ir/quant.h"
#include "ir/shape.h"
#include "ir/tensor.h"
#include "qcompress/status.h"

namespace qc::ir {

using ValueId = uint32_t;
using NodeId = uint32_t;
/// An absent optional input; also "no such value" in id maps.
inline constexpr ValueId kNoValue = std::numeric_limits<ValueId>::max();
/// "No producer": graph inputs and constants.
inline constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();

struct Value {
  std::string name;  ///< unique when non-empty; "" for unnamed intermediates
  DType dtype = DType::kF32;
  Shape shape;
  NodeId producer = kNoNode;       ///< the node listing this value as an output, or kNoNode
  std::optional<Tensor> constant;  ///< set for constants (weights); its dtype/dims equal dtype/shape
};

struct Node {
  OpType op = OpType::kAdd;
  std::string name;             ///< the source node's name (e.g. ONNX), kept for reports; may be empty
  std::vector<ValueId> inputs;  ///< kNoValue marks an absent optional input
  std::vector<ValueId> outputs;
  Attributes attributes;
  std::optional<QuantAnnotation> quant;
  bool erased = false;  ///< tombstone: removed by the rewriter, dropped by Compact()
};

using MetadataValue =
    std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>, std::vector<std::string>>;
/// Ordered by key so printing and export are deterministic.
using Metadata = std::map<std::string, MetadataValue>;

class Graph {
 public:
  // ---- Read access. Ids must come from this graph (HasValue/HasNode check untrusted ones).
  size_t num_values() const { return values_.size(); }
  /// Including erased tombstones.
  size_t num_nodes() const { return nodes_.size(); }
  bool HasValue(ValueId id) const { return id < values_.size(); }
  bool HasNode(NodeId id) const { return id < nodes_.size(); }
  /// In range and not erased.
  bool IsLive(NodeId id) const { return HasNode(id) && !nodes_[id].erased; }

  const Value& value(ValueId id) const { return values_[id]; }
  const Node& node(NodeId id) const { return nodes_[id]; }
  const std::vector<Value>& values() const { return values_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }
  const Metadata& metadata() const { return metadata_; }

  /// The value with this exact name (linear scan: lookups are rare outside the builder, which indexes names).
  Expected<ValueId> FindValue(std::string_view name) const;
  /// Live nodes reading `value`, ascending id, each once.
  std::vector<NodeId> Consumers(ValueId value) const;
  /// True if some live node reads `value` or it is a graph output.
  bool IsUsed(ValueId value) const;
  bool IsGraphInput(ValueId value) const;
  bool IsGraphOutput(ValueId value) const;

  /// Live nodes ordered so producers come before consumers; among ready nodes the lowest id first, so the order is
  /// deterministic and equals id order for a graph built front to back. Errors name the nodes on a cycle.
  Expected<std::vector<NodeId>> TopologicalOrder() const;

  /// "node '/bert/embeddings/Gather' (Embedding)", or "node #7 (Add)" when unnamed. For error messages.
  std::string DescribeNode(NodeId id) const;
  /// "value 'input_ids'", or "value %12" when unnamed.
  std::string DescribeValue(ValueId id) const;

  // ---- Low-level mutation (no checks; see ir/builder.h and ir/rewriter.h for the checked API).
  Value& mutable_value(ValueId id) { return values_[id]; }
  Node& mutable_node(NodeId id) { return nodes_[id]; }
  std::vector<ValueId>& mutable_inputs() { return inputs_; }
  std::vector<ValueId>& mutable_outputs() { return outputs_; }
  Metadata& mutable_metadata() { return metadata_; }
  /// Appends a value and returns its id.
  ValueId AppendValue(Value value);
  /// Appends a node, sets `producer` of each in-range output value to it, and returns its id.
  NodeId AppendNode(Node node);
  /// Replaces all arrays at once (Rewriter::Compact()).
  void ReplaceContents(std::vector<Value> values, std::vector<Node> nodes, std::vector<ValueId> inputs,
                       std::vector<ValueId> outputs);

 private:
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<ValueId> outputs_;
  Metadata metadata_;
};

}  // namespace qc::ir
