#include "importers/onnx/eval.h"

#include "importers/onnx/eval_internal.h"

namespace qc::onnx_import {
namespace eval {

Expected<int64_t> CheckedCount(const WNode& n, const std::vector<int64_t>& dims) {
  int64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0) return Fail(n, "negative dimension " + std::to_string(d));
    if (d != 0 && count > kMaxEvalElements / d) {
      return Unsupported(n.op_type + ": tensor too large to evaluate at import time");
    }
    count *= d;
  }
  return count;
}

Expected<int64_t> NormalizeAxis(const WNode& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return Fail(n, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> Strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t k = dims.size(); k-- > 1;) s[k - 1] = s[k] * dims[k];
  return s;
}

Expected<std::vector<int64_t>> BroadcastDims(const WNode& n, const std::vector<std::vector<int64_t>>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto& s : shapes) {
    for (size_t k = 0; k < s.size(); ++k) {
      int64_t& o = out[rank - s.size() + k];
      const int64_t d = s[k];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
      } else {
        return Fail(n, "shapes do not broadcast (" + std::to_string(o) + " vs " + std::to_string(d) + ")");
      }
    }
  }
  return out;
}

int64_t BroadcastIndex(int64_t k, const std::vector<int64_t>& out, const std::vector<int64_t>& in) {
  int64_t index = 0;
  int64_t in_stride = 1;
  int64_t rem = k;
  for (size_t a = out.size(); a-- > 0;) {
    const int64_t coord = rem % out[a];
    rem /= out[a];
    const size_t offset = out.size() - in.size();
    if (a >= offset) {
      const int64_t d = in[a - offset];
      if (d != 1) index += coord * in_stride;
      in_stride *= d;
    }
  }
  return index;
}

Expected<const HostTensor*> Need(const WNode& n, const Inputs& in, size_t i) {
  if (i >= in.size() || in[i] == nullptr) return Fail(n, "missing input " + std::to_string(i));
  return in[i];
}

Expected<std::vector<int64_t>> IntsOf(const WNode& n, const Inputs& in, size_t i) {
  QC_ASSIGN_OR_RETURN(const HostTensor* t, Need(n, in, i));
  if (t->is_float()) return Fail(n, "input " + std::to_string(i) + " must be an integer tensor");
  return t->i;
}

Status AxesOf(const WNode& n, const Inputs& in, size_t input_index, std::optional<std::vector<int64_t>>* axes) {
  axes->reset();
  if (auto attr = AttrInts(n, "axes")) {
    *axes = std::move(attr);
  } else if (input_index < in.size() && in[input_index] != nullptr) {
    Expected<std::vector<int64_t>> values = IntsOf(n, in, input_index);
    if (!values.ok()) return values.status();
    *axes = std::move(*values);
  }
  return Status::Ok();
}

}  // namespace eval

bool IsEvaluableOp(const WNode& node) {
  if (!node.domain.empty()) return false;
  return eval::IsShapeOp(node.op_type) || eval::IsMathOp(node.op_type);
}

Expected<std::vector<HostTensor>> EvalNode(const WNode& node, int64_t opset,
                                           const std::vector<const HostTensor*>& inputs) {
  for (const HostTensor* t : inputs) {
    if (t != nullptr && static_cast<int64_t>(t->size()) > kMaxEvalElements) {
      return Unsupported(node.op_type + ": input too large to evaluate at import time");
    }
  }
  if (eval::IsShapeOp(node.op_type)) return eval::EvalShapeOp(node, opset, inputs);
  if (eval::IsMathOp(node.op_type)) return eval::EvalMathOp(node, opset, inputs);
  return Unsupported(node.op_type + ": not evaluable at import time");
}

}  // namespace qc::onnx_import
