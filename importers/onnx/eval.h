// importers/onnx/eval.h: evaluates single ai.onnx nodes on small concrete tensors.
//
// Overview
//   Used for constant folding (every input known) and for probes (importers/onnx/probe.h: the mask, position-id and
//   token-type subgraphs evaluated for sample batch/sequence sizes). It covers the integer, boolean and scalar-float
//   ops those subgraphs are built from (shape manipulation, index arithmetic, comparisons, Where, Cast, Range,
//   reductions, CumSum, Trilu, ...); it is not a model interpreter: MatMul, Conv, Softmax and friends are absent, and
//   every kernel refuses inputs or outputs over kMaxEvalElements. `Shape` and `Size` are not evaluated here: they
//   need only the input's shape, which the caller knows symbolically.
//
// Usage
//   if (IsEvaluableOp(node)) {
//     QC_ASSIGN_OR_RETURN(std::vector<HostTensor> out, EvalNode(node, graph.opset, {&a, &b}));
//   }
#pragma once

#include <vector>

#include "importers/onnx/host_tensor.h"
#include "importers/onnx/work_graph.h"
#include "qcompress/status.h"

namespace qc::onnx_import {

/// Largest tensor (elements) the evaluator reads or produces.
inline constexpr int64_t kMaxEvalElements = int64_t{1} << 22;

/// True when EvalNode implements `node`'s op (ai.onnx domain only).
bool IsEvaluableOp(const WNode& node);

/// Outputs of `node` for these inputs (nullptr = absent optional input), one per node output. `opset` selects
/// attribute-or-input forms (Unsqueeze/Squeeze/Reduce* axes). Errors start with "<op>: ".
Expected<std::vector<HostTensor>> EvalNode(const WNode& node, int64_t opset,
                                           const std::vector<const HostTensor*>& inputs);

}  // namespace qc::onnx_import
