// importers/onnx/work_graph.h: the mutable ONNX graph the importer analyses and rewrites into IR ops.
//
// Overview
//   BuildWorkGraph() copies a ModelProto's graph into flat arrays of WValue / WNode (ids are indices). Values carry
//   what analysis learns about them (importers/onnx/analyze.h): ONNX element type, symbolic shape, a constant
//   ir::Tensor (initializers, Constant nodes, folded subgraphs) and, for small integer tensors, symbolic elements
//   (shape arithmetic). Pattern rewrites (importers/onnx/patterns_*.cc) replace matched ONNX subgraphs by
//   "canonical" nodes that hold an ir::OpType and ir::Attributes and reuse the subgraph's output value ids, so value
//   facts stay valid. When no rewrite applies any more, every live node must be canonical; importers/onnx/emit.h then
//   builds the ir::Graph.
//
//   All edits go through the methods below (they keep producer links and the consumer cache right). Nothing here
//   throws; node attributes point into the ModelProto, which the graph keeps alive.
//
// Usage
//   QC_ASSIGN_OR_RETURN(WGraph g, BuildWorkGraph(model, "/models/bert", "bert.onnx", {}));
//   for (int n : g.LiveNodes()) std::cout << g.DescribeNode(n) << "\n";
//   int ln = g.AddCanonical(ir::OpType::kLayerNorm, {x, gamma, beta}, {out}, attrs, matched_nodes);
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "importers/onnx/sym_expr.h"
#include "ir/attributes.h"
#include "ir/op_types.h"
#include "ir/tensor.h"
#include "qcompress/status.h"

namespace qc::onnx_import {

inline constexpr char kCanonicalDomain[] = "qc.ir";

struct WValue {
  std::string name;                        ///< unique; "" only for absent optional outputs (never referenced)
  int32_t dtype = 0;                       ///< ONNX TensorProto.DataType; 0 = unknown
  std::optional<SymShape> shape;           ///< nullopt = unknown rank
  std::optional<ir::Tensor> constant;      ///< known contents (weights, folded constants)
  std::optional<std::vector<SymDim>> sym;  ///< symbolic elements of a rank-0/1 integer value (shape arithmetic)
  std::string load_error;                  ///< why an initializer could not be loaded (e.g. DOUBLE), if it could not
  int alias_of = -1;  ///< a reshaped view of this constant; the IR reuses its name when the original is not emitted
  int producer = -1;  ///< node id, or -1 for graph inputs and initializers
  bool is_graph_input = false;
  bool is_initializer = false;
};

struct WNode {
  std::string op_type;       ///< ONNX op type; the IR op name for canonical nodes
  std::string domain;        ///< "" for ai.onnx, "com.microsoft", ..., kCanonicalDomain
  std::string name;          ///< the ONNX node name (canonical nodes: the scope of the nodes they replace)
  std::vector<int> inputs;   ///< value ids; -1 = absent optional input
  std::vector<int> outputs;  ///< value ids; -1 = absent optional output
  std::map<std::string, const onnx::AttributeProto*> attrs;
  bool erased = false;
  std::string note;  ///< why analysis or a pattern gave up on this node (used in the unsupported-op report)
  // Canonical nodes only.
  bool canonical = false;
  ir::OpType ir_op = ir::OpType::kAdd;
  ir::Attributes ir_attrs;
};

class WGraph {
 public:
  std::shared_ptr<const onnx::ModelProto> model;  ///< keeps attribute protos and raw tensor bytes alive
  std::string path;                               ///< the model file, for messages
  std::string producer;                           ///< "pytorch 2.15.0"
  int64_t opset = 0;                              ///< ai.onnx opset
  std::map<std::string, int64_t> opsets;          ///< domain ("" = ai.onnx) -> version
  std::vector<WValue> values;
  std::vector<WNode> nodes;
  std::vector<int> inputs;                ///< graph inputs (not initializers), in order
  std::vector<int> outputs;               ///< graph outputs, in order (value ids change as rewrites replace values)
  std::vector<std::string> output_names;  ///< the ONNX graph output names, which the IR outputs keep

  /// Adds a value named `name` (made unique with a suffix if taken) and returns its id.
  int AddValue(WValue value);
  /// Adds a constant value; `base_name` is made unique.
  int AddConstant(const std::string& base_name, ir::Tensor tensor);
  /// Adds a node, sets its outputs' producer, and returns its id.
  int AddNode(WNode node);
  /// Adds a canonical node computing existing value(s) `outputs` (their previous producers are erased) from `inputs`
  /// (-1 = absent optional input). Its name is the common scope of `matched` ONNX node names.
  int AddCanonical(ir::OpType op, std::vector<int> inputs, std::vector<int> outputs, ir::Attributes attrs,
                   const std::vector<int>& matched);
  /// Rewires every node input and graph output reading `from` to read `to`.
  void ReplaceAllUses(int from, int to);
  /// Sets one input of a node.
  void SetInput(int node, size_t index, int value);
  /// Marks a node erased (its outputs lose their producer).
  void Erase(int node);
  /// Erases every node that does not contribute to a graph output (constant-valued inputs are leaves).
  void RemoveDeadNodes();

  /// Live nodes reading `value` (each once, ascending), from a cache rebuilt after edits.
  const std::vector<int>& Consumers(int value) const;
  /// Consumers that read the value's data (Shape nodes only read its shape and are ignored).
  std::vector<int> DataConsumers(int value) const;
  bool IsGraphOutput(int value) const;
  /// Non-erased node ids in topological order (producers first; stable by id).
  std::vector<int> LiveNodes() const;

  const ir::Tensor* Constant(int value) const;
  /// The producing node if it is live and has op type `op_type` in the ai.onnx domain; -1 otherwise.
  int ProducerOp(int value, const char* op_type) const;
  std::string UniqueName(const std::string& base) const;
  /// "node '/bert/Gather' (Gather, ai.onnx opset 14)".
  std::string DescribeNode(int node) const;
  /// "value '/bert/Add_output_0'".
  std::string DescribeValue(int value) const;

 private:
  void Touch() { ++version_; }
  std::map<std::string, int> names_;
  uint64_t version_ = 0;
  mutable uint64_t cache_version_ = ~uint64_t{0};
  mutable std::vector<std::vector<int>> consumers_;
};

/// (work_graph_load.cc) Loads `model`'s main graph: initializers (external data resolved under `base_dir`),
/// Constant-node values, graph inputs with symbolic dims (dim_param names mapped through `symbol_renames`; unnamed
/// dynamic dims get
/// "<input>_d<axis>"), nodes and outputs. `path` names the file in errors.
Expected<WGraph> BuildWorkGraph(std::shared_ptr<const onnx::ModelProto> model, const std::string& base_dir,
                                const std::string& path, const std::map<std::string, std::string>& symbol_renames);

// ---- Attribute access (ONNX defaults apply when absent). Errors name the node.
const onnx::AttributeProto* FindAttr(const WNode& node, const std::string& name);
int64_t AttrInt(const WNode& node, const std::string& name, int64_t fallback);
double AttrFloat(const WNode& node, const std::string& name, double fallback);
std::string AttrString(const WNode& node, const std::string& name, const std::string& fallback);
std::optional<std::vector<int64_t>> AttrInts(const WNode& node, const std::string& name);

}  // namespace qc::onnx_import
