// Evaluator kernels that move elements around: Identity, Cast, Reshape, Flatten, (Un)Squeeze, Concat, Gather*,
// Slice, Transpose, Expand, Tile, ConstantOfShape, Range, Split.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "importers/onnx/eval_internal.h"
#include "importers/onnx/tensor_convert.h"

namespace qc::onnx_import::eval {
namespace {

// A tensor of src's type whose element k is src[index[k]].
HostTensor Pick(const HostTensor& src, std::vector<int64_t> dims, const std::vector<int64_t>& index) {
  HostTensor out;
  out.dtype = src.dtype;
  out.dims = std::move(dims);
  if (src.is_float()) {
    out.f.reserve(index.size());
    for (int64_t k : index) out.f.push_back(src.f[static_cast<size_t>(k)]);
  } else {
    out.i.reserve(index.size());
    for (int64_t k : index) out.i.push_back(src.i[static_cast<size_t>(k)]);
  }
  return out;
}

HostTensor WithDims(HostTensor t, std::vector<int64_t> dims) {
  t.dims = std::move(dims);
  return t;
}

Expected<Outputs> Cast(const WNode& n, const HostTensor& x) {
  const auto to = static_cast<int32_t>(AttrInt(n, "to", 0));
  if (!IrDTypeFromOnnx(to).ok() && to != onnx::TensorProto::DOUBLE) {
    return Unsupported("Cast: target type " + std::to_string(to) + " is not supported");
  }
  HostTensor out = HostTensor::Zeros(to, x.dims, x.size());
  for (size_t k = 0; k < x.size(); ++k) {
    if (x.is_float()) {
      out.Set(k, x.f[k]);
    } else {
      out.SetInt(k, x.i[k]);
    }
  }
  return Outputs{out};
}

Expected<Outputs> Reshape(const WNode& n, const HostTensor& x, std::vector<int64_t> shape) {
  const bool allowzero = AttrInt(n, "allowzero", 0) != 0;
  int64_t known = 1;
  int infer = -1;
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == 0 && !allowzero) {
      if (k >= x.dims.size()) return Fail(n, "0 in shape refers to a missing input dimension");
      shape[k] = x.dims[k];
    }
    if (shape[k] == -1) {
      if (infer >= 0) return Fail(n, "more than one -1 in shape");
      infer = static_cast<int>(k);
    } else if (shape[k] < 0) {
      return Fail(n, "invalid dimension " + std::to_string(shape[k]));
    } else {
      known *= shape[k];
    }
  }
  const auto total = static_cast<int64_t>(x.size());
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return Fail(n, "cannot infer -1 dimension");
    shape[static_cast<size_t>(infer)] = total / known;
  } else if (known != total) {
    return Fail(n, "shape holds " + std::to_string(known) + " elements, input " + std::to_string(total));
  }
  return Outputs{WithDims(x, shape)};
}

Expected<Outputs> Gather(const WNode& n, const HostTensor& data, const HostTensor& indices) {
  const auto rank = static_cast<int64_t>(data.dims.size());
  if (rank == 0) return Fail(n, "data must have rank >= 1");
  QC_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(n, AttrInt(n, "axis", 0), rank));
  if (indices.is_float()) return Fail(n, "indices must be integers");
  std::vector<int64_t> out_dims(data.dims.begin(), data.dims.begin() + axis);
  out_dims.insert(out_dims.end(), indices.dims.begin(), indices.dims.end());
  out_dims.insert(out_dims.end(), data.dims.begin() + axis + 1, data.dims.end());
  QC_ASSIGN_OR_RETURN(int64_t count, CheckedCount(n, out_dims));
  const int64_t outer = std::accumulate(data.dims.begin(), data.dims.begin() + axis, int64_t{1}, std::multiplies<>());
  const int64_t inner = std::accumulate(data.dims.begin() + axis + 1, data.dims.end(), int64_t{1}, std::multiplies<>());
  const int64_t extent = data.dims[static_cast<size_t>(axis)];
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(count));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t id : indices.i) {
      if (id < -extent || id >= extent) return Fail(n, "index " + std::to_string(id) + " out of range");
      const int64_t row = id < 0 ? id + extent : id;
      for (int64_t in = 0; in < inner; ++in) index.push_back((o * extent + row) * inner + in);
    }
  }
  return Outputs{Pick(data, out_dims, index)};
}

Expected<Outputs> GatherElements(const WNode& n, const HostTensor& data, const HostTensor& indices) {
  const auto rank = static_cast<int64_t>(data.dims.size());
  if (static_cast<int64_t>(indices.dims.size()) != rank) return Fail(n, "indices rank must equal data rank");
  QC_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(n, AttrInt(n, "axis", 0), rank));
  const std::vector<int64_t> ds = Strides(data.dims);
  const std::vector<int64_t> is = Strides(indices.dims);
  std::vector<int64_t> index(indices.i.size());
  for (size_t k = 0; k < indices.i.size(); ++k) {
    int64_t rem = static_cast<int64_t>(k);
    int64_t src = 0;
    for (int64_t a = 0; a < rank; ++a) {
      int64_t coord = rem / is[static_cast<size_t>(a)];
      rem %= is[static_cast<size_t>(a)];
      const int64_t extent = data.dims[static_cast<size_t>(a)];
      if (a == axis) {
        coord = indices.i[k];
        if (coord < -extent || coord >= extent) return Fail(n, "index out of range");
        if (coord < 0) coord += extent;
      } else if (coord >= extent) {
        return Fail(n, "indices shape exceeds data shape");
      }
      src += coord * ds[static_cast<size_t>(a)];
    }
    index[k] = src;
  }
  return Outputs{Pick(data, indices.dims, index)};
}

Expected<Outputs> GatherND(const WNode& n, const HostTensor& data, const HostTensor& indices) {
  if (AttrInt(n, "batch_dims", 0) != 0) return Unsupported("GatherND: batch_dims != 0 is not evaluated");
  if (indices.dims.empty()) return Fail(n, "indices must have rank >= 1");
  const int64_t depth = indices.dims.back();
  if (depth < 1 || depth > static_cast<int64_t>(data.dims.size())) return Fail(n, "bad index depth");
  std::vector<int64_t> out_dims(indices.dims.begin(), indices.dims.end() - 1);
  out_dims.insert(out_dims.end(), data.dims.begin() + depth, data.dims.end());
  QC_RETURN_IF_ERROR(CheckedCount(n, out_dims).status());
  const std::vector<int64_t> ds = Strides(data.dims);
  const int64_t slice = std::accumulate(data.dims.begin() + depth, data.dims.end(), int64_t{1}, std::multiplies<>());
  std::vector<int64_t> index;
  for (size_t t = 0; t + static_cast<size_t>(depth) <= indices.i.size(); t += static_cast<size_t>(depth)) {
    int64_t base = 0;
    for (int64_t a = 0; a < depth; ++a) {
      int64_t c = indices.i[t + static_cast<size_t>(a)];
      const int64_t extent = data.dims[static_cast<size_t>(a)];
      if (c < -extent || c >= extent) return Fail(n, "index out of range");
      if (c < 0) c += extent;
      base += c * ds[static_cast<size_t>(a)];
    }
    for (int64_t s = 0; s < slice; ++s) index.push_back(base + s);
  }
  return Outputs{Pick(data, out_dims, index)};
}

Expected<Outputs> Slice(const WNode& n, const Inputs& in) {
  QC_ASSIGN_OR_RETURN(const HostTensor* x, Need(n, in, 0));
  QC_ASSIGN_OR_RETURN(std::vector<int64_t> starts, IntsOf(n, in, 1));
  QC_ASSIGN_OR_RETURN(std::vector<int64_t> ends, IntsOf(n, in, 2));
  const auto rank = static_cast<int64_t>(x->dims.size());
  std::vector<int64_t> axes(starts.size()), steps(starts.size(), 1);
  for (size_t k = 0; k < axes.size(); ++k) axes[k] = static_cast<int64_t>(k);
  if (in.size() > 3 && in[3] != nullptr) {
    QC_ASSIGN_OR_RETURN(axes, IntsOf(n, in, 3));
  }
  if (in.size() > 4 && in[4] != nullptr) {
    QC_ASSIGN_OR_RETURN(steps, IntsOf(n, in, 4));
  }
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return Fail(n, "starts/ends/axes/steps lengths differ");
  }
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0), step(static_cast<size_t>(rank), 1), out_dims = x->dims;
  for (size_t k = 0; k < starts.size(); ++k) {
    QC_ASSIGN_OR_RETURN(int64_t a, NormalizeAxis(n, axes[k], rank));
    const int64_t d = x->dims[static_cast<size_t>(a)];
    const int64_t s = steps[k];
    if (s == 0) return Fail(n, "step 0");
    // ONNX Slice clamping: negative values count from the end; positive steps clamp to [0, d], negative steps
    // clamp the start to [0, d-1] and the end to [-1, d-1].
    int64_t b = starts[k] < 0 ? starts[k] + d : starts[k];
    int64_t e = ends[k] < 0 ? ends[k] + d : ends[k];
    if (ends[k] < 0 && ends[k] + d < 0) e = -1;
    int64_t len = 0;
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      len = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      len = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    begin[static_cast<size_t>(a)] = b;
    step[static_cast<size_t>(a)] = s;
    out_dims[static_cast<size_t>(a)] = len;
  }
  QC_ASSIGN_OR_RETURN(int64_t count, CheckedCount(n, out_dims));
  const std::vector<int64_t> xs = Strides(x->dims), os = Strides(out_dims);
  std::vector<int64_t> index(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    int64_t rem = k, src = 0;
    for (int64_t a = 0; a < rank; ++a) {
      const int64_t c = rem / os[static_cast<size_t>(a)];
      rem %= os[static_cast<size_t>(a)];
      src += (begin[static_cast<size_t>(a)] + c * step[static_cast<size_t>(a)]) * xs[static_cast<size_t>(a)];
    }
    index[static_cast<size_t>(k)] = src;
  }
  return Outputs{Pick(*x, out_dims, index)};
}

Expected<Outputs> Transpose(const WNode& n, const HostTensor& x) {
  const size_t rank = x.dims.size();
  std::vector<int64_t> perm(rank);
  for (size_t k = 0; k < rank; ++k) perm[k] = static_cast<int64_t>(rank - 1 - k);
  if (auto p = AttrInts(n, "perm")) perm = *p;
  if (perm.size() != rank) return Fail(n, "perm length differs from rank");
  std::vector<int64_t> out_dims(rank);
  for (size_t k = 0; k < rank; ++k) {
    if (perm[k] < 0 || perm[k] >= static_cast<int64_t>(rank)) return Fail(n, "bad perm");
    out_dims[k] = x.dims[static_cast<size_t>(perm[k])];
  }
  const std::vector<int64_t> xs = Strides(x.dims), os = Strides(out_dims);
  std::vector<int64_t> index(x.size());
  for (size_t k = 0; k < x.size(); ++k) {
    int64_t rem = static_cast<int64_t>(k), src = 0;
    for (size_t a = 0; a < rank; ++a) {
      src += (rem / os[a]) * xs[static_cast<size_t>(perm[a])];
      rem %= os[a];
    }
    index[k] = src;
  }
  return Outputs{Pick(x, out_dims, index)};
}

Expected<Outputs> Broadcast(const WNode& n, const HostTensor& x, const std::vector<int64_t>& out_dims) {
  QC_ASSIGN_OR_RETURN(int64_t count, CheckedCount(n, out_dims));
  std::vector<int64_t> index(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) index[static_cast<size_t>(k)] = BroadcastIndex(k, out_dims, x.dims);
  return Outputs{Pick(x, out_dims, index)};
}

Expected<Outputs> Tile(const WNode& n, const HostTensor& x, const std::vector<int64_t>& repeats) {
  if (repeats.size() != x.dims.size()) return Fail(n, "repeats length differs from rank");
  std::vector<int64_t> out_dims(x.dims.size());
  for (size_t a = 0; a < x.dims.size(); ++a) out_dims[a] = x.dims[a] * repeats[a];
  QC_ASSIGN_OR_RETURN(int64_t count, CheckedCount(n, out_dims));
  const std::vector<int64_t> xs = Strides(x.dims), os = Strides(out_dims);
  std::vector<int64_t> index(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    int64_t rem = k, src = 0;
    for (size_t a = 0; a < out_dims.size(); ++a) {
      src += ((rem / os[a]) % x.dims[a]) * xs[a];
      rem %= os[a];
    }
    index[static_cast<size_t>(k)] = src;
  }
  return Outputs{Pick(x, out_dims, index)};
}

Expected<Outputs> ConstantOfShape(const WNode& n, const std::vector<int64_t>& dims) {
  QC_ASSIGN_OR_RETURN(int64_t count, CheckedCount(n, dims));
  HostTensor value = HostTensor::Floats(onnx::TensorProto::FLOAT, {}, {0.0});
  if (const onnx::AttributeProto* a = FindAttr(n, "value")) {
    QC_ASSIGN_OR_RETURN(ir::Tensor t, TensorFromProto(a->t(), nullptr, nullptr, "ConstantOfShape value"));
    QC_ASSIGN_OR_RETURN(value, HostTensor::FromIr(t));
    if (value.size() != 1) return Fail(n, "value must hold one element");
  }
  HostTensor out = HostTensor::Zeros(value.dtype, dims, static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    if (out.is_float()) {
      out.f[static_cast<size_t>(k)] = value.f[0];
    } else {
      out.i[static_cast<size_t>(k)] = value.i[0];
    }
  }
  return Outputs{out};
}

Expected<Outputs> Range(const WNode& n, const Inputs& in) {
  QC_ASSIGN_OR_RETURN(const HostTensor* start, Need(n, in, 0));
  QC_ASSIGN_OR_RETURN(const HostTensor* limit, Need(n, in, 1));
  QC_ASSIGN_OR_RETURN(const HostTensor* delta, Need(n, in, 2));
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1) return Fail(n, "inputs must be scalars");
  const double s = start->AsDouble(0), l = limit->AsDouble(0), d = delta->AsDouble(0);
  if (d == 0) return Fail(n, "delta is 0");
  const double steps = std::ceil((l - s) / d);
  const int64_t count = steps > 0 ? static_cast<int64_t>(steps) : 0;
  QC_RETURN_IF_ERROR(CheckedCount(n, {count}).status());
  HostTensor out = HostTensor::Zeros(start->dtype, {count}, static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    if (out.is_float()) {
      out.Set(static_cast<size_t>(k), s + static_cast<double>(k) * d);
    } else {
      out.i[static_cast<size_t>(k)] = start->i[0] + k * delta->i[0];
    }
  }
  return Outputs{out};
}

Expected<Outputs> Split(const WNode& n, const Inputs& in) {
  QC_ASSIGN_OR_RETURN(const HostTensor* x, Need(n, in, 0));
  const auto rank = static_cast<int64_t>(x->dims.size());
  QC_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(n, AttrInt(n, "axis", 0), rank));
  const int64_t extent = x->dims[static_cast<size_t>(axis)];
  std::vector<int64_t> sizes;
  if (auto attr = AttrInts(n, "split")) {
    sizes = *attr;
  } else if (in.size() > 1 && in[1] != nullptr) {
    QC_ASSIGN_OR_RETURN(sizes, IntsOf(n, in, 1));
  } else {
    const auto parts = static_cast<int64_t>(n.outputs.size());
    if (parts == 0 || extent % parts != 0) return Fail(n, "cannot split evenly");
    sizes.assign(static_cast<size_t>(parts), extent / parts);
  }
  if (sizes.size() != n.outputs.size()) return Fail(n, "split sizes do not match the output count");
  Outputs outs;
  int64_t begin = 0;
  for (int64_t size : sizes) {
    HostTensor s = HostTensor::Ints(onnx::TensorProto::INT64, {1}, {begin});
    HostTensor e = HostTensor::Ints(onnx::TensorProto::INT64, {1}, {begin + size});
    HostTensor a = HostTensor::Ints(onnx::TensorProto::INT64, {1}, {axis});
    QC_ASSIGN_OR_RETURN(Outputs part, Slice(n, {x, &s, &e, &a}));
    outs.push_back(std::move(part[0]));
    begin += size;
  }
  if (begin != extent) return Fail(n, "split sizes do not add up to the axis length");
  return outs;
}

const char* const kShapeOps[] = {"Identity", "Cast",   "Reshape",         "Flatten",  "Unsqueeze", "Squeeze",
                                 "Concat",   "Gather", "GatherElements",  "GatherND", "Slice",     "Transpose",
                                 "Expand",   "Tile",   "ConstantOfShape", "Range",    "Split"};

}  // namespace

bool IsShapeOp(const std::string& op) {
  return std::find(std::begin(kShapeOps), std::end(kShapeOps), op) != std::end(kShapeOps);
}

Expected<Outputs> EvalShapeOp(const WNode& n, int64_t opset, const Inputs& in) {
  (void)opset;
  const std::string& op = n.op_type;
  if (op == "Range") return Range(n, in);
  if (op == "Slice") return Slice(n, in);
  if (op == "Split") return Split(n, in);
  if (op == "ConstantOfShape") {
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> dims, IntsOf(n, in, 0));
    return ConstantOfShape(n, dims);
  }
  QC_ASSIGN_OR_RETURN(const HostTensor* x, Need(n, in, 0));
  if (op == "Identity") return Outputs{*x};
  if (op == "Cast") return Cast(n, *x);
  if (op == "Transpose") return Transpose(n, *x);
  if (op == "Reshape") {
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> shape, IntsOf(n, in, 1));
    return Reshape(n, *x, shape);
  }
  if (op == "Flatten") {
    const auto rank = static_cast<int64_t>(x->dims.size());
    int64_t axis = AttrInt(n, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) return Fail(n, "axis out of range");
    const int64_t outer = std::accumulate(x->dims.begin(), x->dims.begin() + axis, int64_t{1}, std::multiplies<>());
    return Outputs{WithDims(*x, {outer, static_cast<int64_t>(x->size()) / std::max<int64_t>(outer, 1)})};
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    std::optional<std::vector<int64_t>> axes;
    QC_RETURN_IF_ERROR(AxesOf(n, in, 1, &axes));
    std::vector<int64_t> dims = x->dims;
    if (op == "Unsqueeze") {
      if (!axes) return Fail(n, "missing axes");
      const auto rank = static_cast<int64_t>(dims.size() + axes->size());
      std::vector<int64_t> norm;
      for (int64_t a : *axes) {
        QC_ASSIGN_OR_RETURN(int64_t k, NormalizeAxis(n, a, rank));
        norm.push_back(k);
      }
      std::sort(norm.begin(), norm.end());
      for (int64_t k : norm) dims.insert(dims.begin() + k, 1);
    } else {
      std::vector<int64_t> out;
      const auto rank = static_cast<int64_t>(dims.size());
      for (int64_t a = 0; a < rank; ++a) {
        bool drop = false;
        if (axes) {
          for (int64_t s : *axes) drop |= (s < 0 ? s + rank : s) == a;
          if (drop && dims[static_cast<size_t>(a)] != 1) return Fail(n, "squeezed axis is not 1");
        } else {
          drop = dims[static_cast<size_t>(a)] == 1;
        }
        if (!drop) out.push_back(dims[static_cast<size_t>(a)]);
      }
      dims = out;
    }
    return Outputs{WithDims(*x, dims)};
  }
  if (op == "Concat") {
    const auto rank = static_cast<int64_t>(x->dims.size());
    QC_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(n, AttrInt(n, "axis", 0), rank));
    std::vector<int64_t> out_dims = x->dims;
    out_dims[static_cast<size_t>(axis)] = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      QC_ASSIGN_OR_RETURN(const HostTensor* t, Need(n, in, k));
      if (t->dims.size() != x->dims.size() || t->dtype != x->dtype) return Fail(n, "inputs differ in rank or type");
      out_dims[static_cast<size_t>(axis)] += t->dims[static_cast<size_t>(axis)];
    }
    HostTensor out = HostTensor::Zeros(x->dtype, out_dims, 0);
    const int64_t outer = std::accumulate(out_dims.begin(), out_dims.begin() + axis, int64_t{1}, std::multiplies<>());
    for (int64_t o = 0; o < outer; ++o) {
      for (const HostTensor* t : in) {
        const int64_t chunk = static_cast<int64_t>(t->size()) / std::max<int64_t>(outer, 1);
        if (out.is_float()) {
          out.f.insert(out.f.end(), t->f.begin() + o * chunk, t->f.begin() + (o + 1) * chunk);
        } else {
          out.i.insert(out.i.end(), t->i.begin() + o * chunk, t->i.begin() + (o + 1) * chunk);
        }
      }
    }
    return Outputs{out};
  }
  if (op == "Gather") {
    QC_ASSIGN_OR_RETURN(const HostTensor* idx, Need(n, in, 1));
    return Gather(n, *x, *idx);
  }
  if (op == "GatherElements") {
    QC_ASSIGN_OR_RETURN(const HostTensor* idx, Need(n, in, 1));
    return GatherElements(n, *x, *idx);
  }
  if (op == "GatherND") {
    QC_ASSIGN_OR_RETURN(const HostTensor* idx, Need(n, in, 1));
    return GatherND(n, *x, *idx);
  }
  if (op == "Expand") {
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> shape, IntsOf(n, in, 1));
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> out_dims, BroadcastDims(n, {x->dims, shape}));
    return Broadcast(n, *x, out_dims);
  }
  if (op == "Tile") {
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> repeats, IntsOf(n, in, 1));
    return Tile(n, *x, repeats);
  }
  return Unsupported(op + ": not evaluable at import time");
}

}  // namespace qc::onnx_import::eval
