// Evaluator kernels that compute: elementwise unary/binary math, comparisons, logic, Where, IsNaN/IsInf,
// variadic Max/Min/Sum, reductions, CumSum, Trilu.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "importers/onnx/eval_internal.h"

namespace qc::onnx_import::eval {
namespace {

bool IsComparison(const std::string& op) {
  return op == "Equal" || op == "Less" || op == "Greater" || op == "LessOrEqual" || op == "GreaterOrEqual";
}
bool IsLogic(const std::string& op) {
  return op == "And" || op == "Or" || op == "Xor";
}

Expected<double> FloatBinary(const WNode& n, double a, double b) {
  const std::string& op = n.op_type;
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "Div") return a / b;
  if (op == "Pow") return std::pow(a, b);
  if (op == "Mod") return std::fmod(a, b);
  if (op == "Max") return std::isnan(a) || std::isnan(b) ? std::nan("") : std::max(a, b);
  if (op == "Min") return std::isnan(a) || std::isnan(b) ? std::nan("") : std::min(a, b);
  if (op == "Sum") return a + b;
  return Fail(n, "unsupported float operation");
}

Expected<int64_t> IntBinary(const WNode& n, int64_t a, int64_t b) {
  const std::string& op = n.op_type;
  int64_t r = 0;
  if (op == "Add" || op == "Sum") {
    if (__builtin_add_overflow(a, b, &r)) return Fail(n, "integer overflow");
    return r;
  }
  if (op == "Sub") {
    if (__builtin_sub_overflow(a, b, &r)) return Fail(n, "integer overflow");
    return r;
  }
  if (op == "Mul") {
    if (__builtin_mul_overflow(a, b, &r)) return Fail(n, "integer overflow");
    return r;
  }
  if (op == "Div" || op == "Mod") {
    if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1)) return Fail(n, "integer division by zero");
    if (op == "Div") return a / b;  // truncation, as onnxruntime
    if (AttrInt(n, "fmod", 0) != 0) return a % b;
    int64_t m = a % b;  // Python-style sign of the divisor
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    return m;
  }
  if (op == "Pow") {
    if (b < 0) return Fail(n, "negative integer exponent");
    int64_t p = 1;
    for (int64_t k = 0; k < b; ++k) {
      if (__builtin_mul_overflow(p, a, &p)) return Fail(n, "integer overflow");
    }
    return p;
  }
  if (op == "Max") return std::max(a, b);
  if (op == "Min") return std::min(a, b);
  return Fail(n, "unsupported integer operation");
}

bool Compare(const std::string& op, double a, double b) {
  if (op == "Equal") return a == b;
  if (op == "Less") return a < b;
  if (op == "Greater") return a > b;
  if (op == "LessOrEqual") return a <= b;
  return a >= b;
}
bool CompareInt(const std::string& op, int64_t a, int64_t b) {
  if (op == "Equal") return a == b;
  if (op == "Less") return a < b;
  if (op == "Greater") return a > b;
  if (op == "LessOrEqual") return a <= b;
  return a >= b;
}

// Elementwise over broadcast inputs; `fn(k_out, indices)` writes output element k.
Expected<Outputs> Elementwise(const WNode& n, const Inputs& in) {
  std::vector<std::vector<int64_t>> shapes;
  for (size_t k = 0; k < in.size(); ++k) {
    QC_ASSIGN_OR_RETURN(const HostTensor* t, Need(n, in, k));
    shapes.push_back(t->dims);
  }
  QC_ASSIGN_OR_RETURN(std::vector<int64_t> out_dims, BroadcastDims(n, shapes));
  QC_ASSIGN_OR_RETURN(int64_t count, CheckedCount(n, out_dims));
  const std::string& op = n.op_type;
  int32_t out_type = in[0]->dtype;
  if (IsComparison(op) || IsLogic(op)) out_type = onnx::TensorProto::BOOL;
  if (op == "Where") out_type = in[1]->dtype;
  for (size_t k = 1; k < in.size(); ++k) {
    const size_t first = op == "Where" ? 1 : 0;
    if (k > first && op != "Pow" && in[k]->dtype != in[first]->dtype) return Fail(n, "operand element types differ");
  }
  HostTensor out = HostTensor::Zeros(out_type, out_dims, static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    const auto at = [&](size_t input) { return BroadcastIndex(k, out_dims, in[input]->dims); };
    const auto uk = static_cast<size_t>(k);
    if (op == "Where") {
      const bool c = in[0]->AsInt(static_cast<size_t>(at(0))) != 0;
      const HostTensor& src = *in[c ? 1 : 2];
      const auto s = static_cast<size_t>(at(c ? 1 : 2));
      if (out.is_float()) {
        out.f[uk] = src.f[s];
      } else {
        out.i[uk] = src.i[s];
      }
      continue;
    }
    if (IsLogic(op)) {
      const bool a = in[0]->AsInt(static_cast<size_t>(at(0))) != 0, b = in[1]->AsInt(static_cast<size_t>(at(1))) != 0;
      out.i[uk] = op == "And" ? (a && b) : op == "Or" ? (a || b) : (a != b);
      continue;
    }
    if (IsComparison(op)) {
      const auto ia = static_cast<size_t>(at(0)), ib = static_cast<size_t>(at(1));
      out.i[uk] =
          in[0]->is_float() ? Compare(op, in[0]->f[ia], in[1]->f[ib]) : CompareInt(op, in[0]->i[ia], in[1]->i[ib]);
      continue;
    }
    // Arithmetic, folded left over the (possibly variadic) inputs.
    if (out.is_float()) {
      double acc = in[0]->f[static_cast<size_t>(at(0))];
      for (size_t j = 1; j < in.size(); ++j) {
        QC_ASSIGN_OR_RETURN(acc, FloatBinary(n, acc, in[j]->AsDouble(static_cast<size_t>(at(j)))));
        acc = RoundToType(out_type, acc);
      }
      out.f[uk] = acc;
    } else {
      int64_t acc = in[0]->i[static_cast<size_t>(at(0))];
      for (size_t j = 1; j < in.size(); ++j) {
        QC_ASSIGN_OR_RETURN(acc, IntBinary(n, acc, in[j]->AsInt(static_cast<size_t>(at(j)))));
      }
      out.i[uk] = WrapToType(out_type, acc);
    }
  }
  return Outputs{out};
}

Expected<Outputs> Unary(const WNode& n, const HostTensor& x) {
  const std::string& op = n.op_type;
  const bool to_bool = op == "IsNaN" || op == "IsInf" || op == "Not";
  HostTensor out = HostTensor::Zeros(to_bool ? onnx::TensorProto::BOOL : x.dtype, x.dims, x.size());
  for (size_t k = 0; k < x.size(); ++k) {
    if (op == "Not") {
      out.i[k] = x.AsInt(k) == 0;
      continue;
    }
    if (op == "IsNaN" || op == "IsInf") {
      const double v = x.AsDouble(k);
      out.i[k] = op == "IsNaN" ? std::isnan(v) : std::isinf(v);
      continue;
    }
    if (!x.is_float()) {
      const int64_t v = x.i[k];
      if (op == "Neg")
        out.i[k] = WrapToType(x.dtype, -v);
      else if (op == "Abs")
        out.i[k] = v < 0 ? -v : v;
      else if (op == "Relu")
        out.i[k] = std::max<int64_t>(v, 0);
      else if (op == "Sign")
        out.i[k] = (v > 0) - (v < 0);
      else
        return Fail(n, "integer input not supported");
      continue;
    }
    const double v = x.f[k];
    double r = 0;
    if (op == "Neg")
      r = -v;
    else if (op == "Abs")
      r = std::fabs(v);
    else if (op == "Sqrt")
      r = std::sqrt(v);
    else if (op == "Reciprocal")
      r = 1.0 / v;
    else if (op == "Exp")
      r = std::exp(v);
    else if (op == "Log")
      r = std::log(v);
    else if (op == "Erf")
      r = std::erf(v);
    else if (op == "Tanh")
      r = std::tanh(v);
    else if (op == "Relu")
      r = std::max(v, 0.0);
    else if (op == "Floor")
      r = std::floor(v);
    else if (op == "Ceil")
      r = std::ceil(v);
    else if (op == "Sign")
      r = (v > 0) - (v < 0);
    else
      return Fail(n, "unsupported unary operation");
    out.f[k] = RoundToType(x.dtype, r);
  }
  return Outputs{out};
}

Expected<Outputs> Reduce(const WNode& n, const Inputs& in) {
  QC_ASSIGN_OR_RETURN(const HostTensor* x, Need(n, in, 0));
  std::optional<std::vector<int64_t>> axes;
  QC_RETURN_IF_ERROR(AxesOf(n, in, 1, &axes));
  const auto rank = static_cast<int64_t>(x->dims.size());
  std::vector<bool> reduce(static_cast<size_t>(rank), false);
  if (!axes || axes->empty()) {
    if (AttrInt(n, "noop_with_empty_axes", 0) != 0) return Outputs{*x};
    std::fill(reduce.begin(), reduce.end(), true);
  } else {
    for (int64_t a : *axes) {
      QC_ASSIGN_OR_RETURN(int64_t k, NormalizeAxis(n, a, rank));
      reduce[static_cast<size_t>(k)] = true;
    }
  }
  const bool keep = AttrInt(n, "keepdims", 1) != 0;
  std::vector<int64_t> kept_dims, out_dims;
  for (int64_t a = 0; a < rank; ++a) {
    const int64_t d = x->dims[static_cast<size_t>(a)];
    kept_dims.push_back(reduce[static_cast<size_t>(a)] ? 1 : d);
    if (!reduce[static_cast<size_t>(a)])
      out_dims.push_back(d);
    else if (keep)
      out_dims.push_back(1);
  }
  const int64_t out_count = std::accumulate(kept_dims.begin(), kept_dims.end(), int64_t{1}, std::multiplies<>());
  const std::string& op = n.op_type;
  std::vector<double> acc(static_cast<size_t>(out_count), op == "ReduceMax"    ? -INFINITY
                                                          : op == "ReduceMin"  ? INFINITY
                                                          : op == "ReduceProd" ? 1.0
                                                                               : 0.0);
  const std::vector<int64_t> ks = Strides(kept_dims), xs = Strides(x->dims);
  for (size_t k = 0; k < x->size(); ++k) {
    int64_t rem = static_cast<int64_t>(k), o = 0;
    for (int64_t a = 0; a < rank; ++a) {
      const int64_t c = rem / xs[static_cast<size_t>(a)];
      rem %= xs[static_cast<size_t>(a)];
      if (!reduce[static_cast<size_t>(a)]) o += c * ks[static_cast<size_t>(a)];
    }
    double& s = acc[static_cast<size_t>(o)];
    const double v = x->AsDouble(k);
    if (op == "ReduceMax")
      s = std::max(s, v);
    else if (op == "ReduceMin")
      s = std::min(s, v);
    else if (op == "ReduceProd")
      s *= v;
    else
      s += v;
  }
  const int64_t group = out_count == 0 ? 0 : static_cast<int64_t>(x->size()) / out_count;
  HostTensor out = HostTensor::Zeros(x->dtype, out_dims, static_cast<size_t>(out_count));
  for (size_t k = 0; k < acc.size(); ++k) {
    double v = acc[k];
    if (op == "ReduceMean") v = group > 0 ? v / static_cast<double>(group) : NAN;
    if (out.is_float()) {
      out.Set(k, v);
    } else {
      out.i[k] = WrapToType(x->dtype, static_cast<int64_t>(v));
    }
  }
  return Outputs{out};
}

Expected<Outputs> CumSum(const WNode& n, const Inputs& in) {
  QC_ASSIGN_OR_RETURN(const HostTensor* x, Need(n, in, 0));
  QC_ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, IntsOf(n, in, 1));
  if (axis_v.size() != 1) return Fail(n, "axis must be a scalar");
  const auto rank = static_cast<int64_t>(x->dims.size());
  QC_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(n, axis_v[0], rank));
  const bool exclusive = AttrInt(n, "exclusive", 0) != 0, reverse = AttrInt(n, "reverse", 0) != 0;
  const std::vector<int64_t> xs = Strides(x->dims);
  const int64_t extent = x->dims[static_cast<size_t>(axis)], stride = xs[static_cast<size_t>(axis)];
  HostTensor out = *x;
  for (size_t k = 0; k < x->size(); ++k) {
    const int64_t coord = (static_cast<int64_t>(k) / stride) % extent;
    if (coord != (reverse ? extent - 1 : 0)) continue;  // start of a line
    double acc = 0;
    int64_t iacc = 0;
    for (int64_t j = 0; j < extent; ++j) {
      const int64_t c = reverse ? extent - 1 - j : j;
      const auto idx = static_cast<size_t>(static_cast<int64_t>(k) + (c - coord) * stride);
      const double v = x->AsDouble(idx);
      const int64_t iv = x->is_float() ? 0 : x->i[idx];
      if (exclusive) {
        if (out.is_float())
          out.f[idx] = RoundToType(out.dtype, acc);
        else
          out.i[idx] = iacc;
      }
      acc += v;
      iacc += iv;
      if (!exclusive) {
        if (out.is_float())
          out.f[idx] = RoundToType(out.dtype, acc);
        else
          out.i[idx] = iacc;
      }
    }
  }
  return Outputs{out};
}

Expected<Outputs> Trilu(const WNode& n, const Inputs& in) {
  QC_ASSIGN_OR_RETURN(const HostTensor* x, Need(n, in, 0));
  if (x->dims.size() < 2) return Fail(n, "input must have rank >= 2");
  int64_t diag = 0;
  if (in.size() > 1 && in[1] != nullptr) {
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> k, IntsOf(n, in, 1));
    if (k.size() != 1) return Fail(n, "k must be a scalar");
    diag = k[0];
  }
  const bool upper = AttrInt(n, "upper", 1) != 0;
  const int64_t rows = x->dims[x->dims.size() - 2], cols = x->dims.back();
  HostTensor out = *x;
  for (size_t k = 0; k < x->size(); ++k) {
    const int64_t c = static_cast<int64_t>(k) % cols, r = (static_cast<int64_t>(k) / cols) % rows;
    const bool keep = upper ? c - r >= diag : c - r <= diag;
    if (!keep) {
      if (out.is_float())
        out.f[k] = 0;
      else
        out.i[k] = 0;
    }
  }
  return Outputs{out};
}

const char* const kMathOps[] = {
    "Add",       "Sub",       "Mul",        "Div",        "Pow",     "Mod",         "Max",
    "Min",       "Sum",       "Equal",      "Less",       "Greater", "LessOrEqual", "GreaterOrEqual",
    "And",       "Or",        "Xor",        "Where",      "Not",     "IsNaN",       "IsInf",
    "Neg",       "Abs",       "Sqrt",       "Reciprocal", "Exp",     "Log",         "Erf",
    "Tanh",      "Relu",      "Floor",      "Ceil",       "Sign",    "ReduceSum",   "ReduceMean",
    "ReduceMax", "ReduceMin", "ReduceProd", "CumSum",     "Trilu"};

}  // namespace

bool IsMathOp(const std::string& op) {
  return std::find(std::begin(kMathOps), std::end(kMathOps), op) != std::end(kMathOps);
}

Expected<Outputs> EvalMathOp(const WNode& n, int64_t opset, const Inputs& in) {
  const std::string& op = n.op_type;
  if (op.rfind("Reduce", 0) == 0) {
    // ReduceSum takes axes as an input from opset 13, the other reductions from opset 18.
    (void)opset;
    return Reduce(n, in);
  }
  if (op == "CumSum") return CumSum(n, in);
  if (op == "Trilu") return Trilu(n, in);
  if (op == "Not" || op == "IsNaN" || op == "IsInf" || op == "Neg" || op == "Abs" || op == "Sqrt" ||
      op == "Reciprocal" || op == "Exp" || op == "Log" || op == "Erf" || op == "Tanh" || op == "Relu" ||
      op == "Floor" || op == "Ceil" || op == "Sign") {
    QC_ASSIGN_OR_RETURN(const HostTensor* x, Need(n, in, 0));
    return Unary(n, *x);
  }
  if (op == "Where" && in.size() != 3) return Fail(n, "needs 3 inputs");
  if ((op != "Max" && op != "Min" && op != "Sum" && op != "Where") && in.size() != 2) return Fail(n, "needs 2 inputs");
  if (in.empty()) return Fail(n, "needs inputs");
  return Elementwise(n, in);
}

}  // namespace qc::onnx_import::eval
