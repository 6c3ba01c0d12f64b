// ir/shape_inference.h: output dtype and shape of every op, from its input types and attributes.
//
// Overview
//   One rule per op (ir/shape_inference.cc). Rules check what can be checked statically: input dtypes, ranks,
//   matching dimensions, attribute ranges (num_heads divides the hidden size, axis in range, epsilon > 0, ...).
//   Symbolic dims propagate unchanged; arithmetic on them yields derived symbols ("sequence+1",
//   "(height/16)*(width/16)") so the result is deterministic and the verifier can recompute and compare it.
//   Broadcasting (Add, Sub, Mul) follows numpy, with one rule for symbols: a symbol against a fixed size N > 1 gives N
//   (the symbol must be N or 1 at run time); two different symbols are an error because the result cannot be named.
//   Errors start with the `owner` (the node's description) and name the input: "node 'fc' (Linear): input 1 'weight'
//   is f32[64, 32], expected dimension 1 to be 48 (input 0 'x' dimension 2)".
//
// Usage
//   std::vector<std::optional<qc::ir::ValueType>> inputs = {qc::ir::ValueType{qc::ir::DType::kF32, {"batch", 48}},
//                                                          qc::ir::ValueType{qc::ir::DType::kF32, {64, 48}},
//                                                          std::nullopt};   // absent bias
//   QC_ASSIGN_OR_RETURN(auto outputs, qc::ir::InferOutputTypes(qc::ir::OpType::kLinear, inputs, attrs, "node 'fc'"));
//   // outputs[0] == ValueType{kF32, {"batch", 64}}
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/attributes.h"
#include "ir/dtype.h"
#include "ir/graph.h"
#include "ir/op_types.h"
#include "ir/shape.h"
#include "qcompress/status.h"

namespace qc::ir {

struct ValueType {
  DType dtype = DType::kF32;
  Shape shape;
  friend bool operator==(const ValueType& a, const ValueType& b) { return a.dtype == b.dtype && a.shape == b.shape; }
  friend bool operator!=(const ValueType& a, const ValueType& b) { return !(a == b); }
};

/// "f32[batch, 64]".
std::string ToString(const ValueType& type);

/// Output types of `op` for these input types (std::nullopt = absent optional input; trailing ones may be omitted).
/// Checks arity, required inputs and attribute values (attributes must already carry defaults, see
/// ApplyAttributeDefaults); `owner` starts every error message.
Expected<std::vector<ValueType>> InferOutputTypes(OpType op, const std::vector<std::optional<ValueType>>& inputs,
                                                  const Attributes& attributes, std::string_view owner);

/// The same for a node already in a graph, reading its input values' types (an out-of-range input id is an error).
Expected<std::vector<ValueType>> InferNodeOutputTypes(const Graph& graph, NodeId node);

/// Numpy broadcast of two shapes with the symbol rule above; `owner` starts the error message.
Expected<Shape> BroadcastShapes(const Shape& a, const Shape& b, std::string_view owner);

}  // namespace qc::ir
