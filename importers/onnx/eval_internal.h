// importers/onnx/eval_internal.h: helpers shared by the evaluator's kernel files (eval_shape_ops.cc,
// eval_math_ops.cc). Internal to importers/onnx/eval*.
//
//   QC_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(n, AttrInt(n, "axis", 0), rank));
//   std::vector<int64_t> strides = Strides(dims);
#pragma once

#include <string>
#include <vector>

#include "importers/onnx/eval.h"

namespace qc::onnx_import::eval {

using Inputs = std::vector<const HostTensor*>;
using Outputs = std::vector<HostTensor>;

inline Status Fail(const WNode& n, const std::string& message) {
  return InvalidArgument(n.op_type + ": " + message);
}

/// Element count of dims; errors for negative dims, overflow and anything above kMaxEvalElements.
Expected<int64_t> CheckedCount(const WNode& n, const std::vector<int64_t>& dims);
Expected<int64_t> NormalizeAxis(const WNode& n, int64_t axis, int64_t rank);
std::vector<int64_t> Strides(const std::vector<int64_t>& dims);
/// Numpy broadcast of several shapes.
Expected<std::vector<int64_t>> BroadcastDims(const WNode& n, const std::vector<std::vector<int64_t>>& shapes);
/// For output flat index `k` of shape `out`, the flat index into an input of shape `in` broadcast to `out`.
int64_t BroadcastIndex(int64_t k, const std::vector<int64_t>& out, const std::vector<int64_t>& in);
/// The required input `i`, or an error naming it.
Expected<const HostTensor*> Need(const WNode& n, const Inputs& in, size_t i);
/// Integer contents of an input (e.g. axes, shape, repeats).
Expected<std::vector<int64_t>> IntsOf(const WNode& n, const Inputs& in, size_t i);
/// Axes from the attribute `name` when present, else from input `input_index` (opset >= 13 forms); nullopt = none.
Status AxesOf(const WNode& n, const Inputs& in, size_t input_index, std::optional<std::vector<int64_t>>* axes);

// Kernel families; each returns kUnsupported-free errors (malformed inputs) or the outputs.
Expected<Outputs> EvalShapeOp(const WNode& n, int64_t opset, const Inputs& in);
Expected<Outputs> EvalMathOp(const WNode& n, int64_t opset, const Inputs& in);
bool IsShapeOp(const std::string& op);
bool IsMathOp(const std::string& op);

}  // namespace qc::onnx_import::eval
