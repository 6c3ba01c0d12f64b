#include "ir_eval.h"

#include <algorithm>
#include <cmath>

namespace qc::hf::test {
namespace {

using ir::AttrName;
using ir::OpType;

int64_t Product(const std::vector<int64_t>& dims, size_t from = 0, size_t to = SIZE_MAX) {
  // Iterators, not indices: GCC 12 misreads the index loop as unbounded (-Waggressive-loop-optimizations).
  const auto begin = dims.begin() + static_cast<std::ptrdiff_t>(std::min(from, dims.size()));
  const auto end = dims.begin() + static_cast<std::ptrdiff_t>(std::min(to, dims.size()));
  int64_t n = 1;
  for (auto it = begin; it < end; ++it) n *= *it;
  return n;
}

Expected<EvalTensor> FromConstant(const ir::Tensor& t) {
  if (t.dtype() == ir::DType::kF32) {
    QC_ASSIGN_OR_RETURN(std::vector<float> v, t.ToVector<float>());
    return EvalTensor::Floats(t.dims(), std::move(v));
  }
  if (t.dtype() == ir::DType::kI64) {
    QC_ASSIGN_OR_RETURN(std::vector<int64_t> v, t.ToVector<int64_t>());
    return EvalTensor::Ints(t.dims(), std::move(v));
  }
  return Unsupported("evaluator: constant dtype " + t.TypeString());
}

// numpy broadcasting of a binary float op.
template <typename F>
EvalTensor Broadcast(const EvalTensor& a, const EvalTensor& b, F f) {
  const size_t rank = std::max(a.dims.size(), b.dims.size());
  std::vector<int64_t> da(rank, 1), db(rank, 1), out(rank);
  std::copy(a.dims.begin(), a.dims.end(), da.begin() + static_cast<long>(rank - a.dims.size()));
  std::copy(b.dims.begin(), b.dims.end(), db.begin() + static_cast<long>(rank - b.dims.size()));
  for (size_t i = 0; i < rank; ++i) out[i] = std::max(da[i], db[i]);
  EvalTensor r = EvalTensor::Floats(out, std::vector<float>(static_cast<size_t>(Product(out))));
  std::vector<int64_t> index(rank, 0);
  for (int64_t flat = 0; flat < r.size(); ++flat) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < rank; ++d) {
      ia = ia * da[d] + (da[d] == 1 ? 0 : index[d]);
      ib = ib * db[d] + (db[d] == 1 ? 0 : index[d]);
    }
    r.values[static_cast<size_t>(flat)] = static_cast<float>(f(a.At(ia), b.At(ib)));
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < out[d]) break;
      index[d] = 0;
    }
  }
  return r;
}

EvalTensor Map(const EvalTensor& x, double (*f)(double)) {
  EvalTensor r = x;
  for (float& v : r.values) v = static_cast<float>(f(v));
  return r;
}

double GeluExact(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}
double GeluTanh(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}
double Relu(double x) {
  return x > 0 ? x : 0;
}
double Tanh(double x) {
  return std::tanh(x);
}

Expected<EvalTensor> Run(const ir::Node& node, const std::vector<const EvalTensor*>& in, const std::string& who) {
  const auto attr_int = [&](AttrName a) { return node.attributes.GetInt(a, who); };
  const auto attr_float = [&](AttrName a) { return node.attributes.GetFloat(a, who); };
  const EvalTensor& x = *in[0];
  switch (node.op) {
    case OpType::kEmbedding: {
      const EvalTensor& table = *in[1];
      const int64_t e = table.dims[1];
      std::vector<int64_t> dims = x.dims;
      dims.push_back(e);
      EvalTensor r = EvalTensor::Floats(dims, std::vector<float>(static_cast<size_t>(x.size() * e)));
      for (int64_t i = 0; i < x.size(); ++i) {
        const auto id = static_cast<int64_t>(x.At(i));
        if (id < 0 || id >= table.dims[0]) return OutOfRange(who + ": id " + std::to_string(id) + " out of range");
        std::copy_n(table.values.begin() + id * e, e, r.values.begin() + i * e);
      }
      return r;
    }
    case OpType::kAddPositionEmbedding: {
      QC_ASSIGN_OR_RETURN(int64_t offset, attr_int(AttrName::kOffset));
      const int64_t b = x.dims[0], s = x.dims[1], e = x.dims[2];
      if (offset + s > in[1]->dims[0]) return OutOfRange(who + ": sequence longer than the position table");
      EvalTensor r = x;
      for (int64_t i = 0; i < b * s * e; ++i)
        r.values[static_cast<size_t>(i)] += in[1]->values[static_cast<size_t>((offset + (i / e) % s) * e + i % e)];
      return r;
    }
    case OpType::kAdd:
      return Broadcast(x, *in[1], [](double a, double b) { return a + b; });
    case OpType::kSub:
      return Broadcast(x, *in[1], [](double a, double b) { return a - b; });
    case OpType::kMul:
      return Broadcast(x, *in[1], [](double a, double b) { return a * b; });
    case OpType::kLayerNorm: {
      QC_ASSIGN_OR_RETURN(double eps, attr_float(AttrName::kEpsilon));
      const int64_t n = in[1]->size(), rows = x.size() / n;
      EvalTensor r = x;
      for (int64_t row = 0; row < rows; ++row) {
        const float* p = x.values.data() + row * n;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < n; ++i) mean += p[i];
        mean /= static_cast<double>(n);
        for (int64_t i = 0; i < n; ++i) var += (p[i] - mean) * (p[i] - mean);
        var /= static_cast<double>(n);
        for (int64_t i = 0; i < n; ++i) {
          r.values[static_cast<size_t>(row * n + i)] =
              static_cast<float>((p[i] - mean) / std::sqrt(var + eps) * in[1]->values[static_cast<size_t>(i)] +
                                 in[2]->values[static_cast<size_t>(i)]);
        }
      }
      return r;
    }
    case OpType::kLinear: {
      const EvalTensor& w = *in[1];
      const int64_t n = w.dims[0], k = w.dims[1], rows = x.size() / k;
      std::vector<int64_t> dims = x.dims;
      dims.back() = n;
      EvalTensor r = EvalTensor::Floats(dims, std::vector<float>(static_cast<size_t>(rows * n)));
      for (int64_t row = 0; row < rows; ++row) {
        for (int64_t o = 0; o < n; ++o) {
          double acc = in.size() > 2 && in[2] ? in[2]->values[static_cast<size_t>(o)] : 0.0;
          for (int64_t i = 0; i < k; ++i)
            acc += static_cast<double>(x.values[static_cast<size_t>(row * k + i)]) *
                   w.values[static_cast<size_t>(o * k + i)];
          r.values[static_cast<size_t>(row * n + o)] = static_cast<float>(acc);
        }
      }
      return r;
    }
    case OpType::kGelu: {
      QC_ASSIGN_OR_RETURN(ir::GeluApproximation a, node.attributes.GetGeluApproximation(AttrName::kApproximate, who));
      return Map(x, a == ir::GeluApproximation::kTanh ? GeluTanh : GeluExact);
    }
    case OpType::kTanh:
      return Map(x, Tanh);
    case OpType::kRelu:
      return Map(x, Relu);
    case OpType::kAttention: {
      QC_ASSIGN_OR_RETURN(int64_t heads, attr_int(AttrName::kNumHeads));
      QC_ASSIGN_OR_RETURN(double scale, attr_float(AttrName::kScale));
      QC_ASSIGN_OR_RETURN(double fill, attr_float(AttrName::kMaskFill));
      const EvalTensor &q = x, &k = *in[1], &v = *in[2];
      const EvalTensor* mask = in.size() > 3 ? in[3] : nullptr;
      const int64_t b = q.dims[0], sq = q.dims[1], sk = k.dims[1], h = q.dims[2], d = h / heads;
      EvalTensor r = EvalTensor::Floats(q.dims, std::vector<float>(q.values.size()));
      std::vector<double> p(static_cast<size_t>(sk));
      for (int64_t bi = 0; bi < b; ++bi) {
        for (int64_t hi = 0; hi < heads; ++hi) {
          for (int64_t i = 0; i < sq; ++i) {
            double max = -INFINITY;
            for (int64_t j = 0; j < sk; ++j) {
              double s = 0;
              for (int64_t c = 0; c < d; ++c)
                s += static_cast<double>(q.values[static_cast<size_t>((bi * sq + i) * h + hi * d + c)]) *
                     k.values[static_cast<size_t>((bi * sk + j) * h + hi * d + c)];
              s *= scale;
              if (mask) s += (1.0 - mask->At(bi * sk + j)) * fill;
              p[static_cast<size_t>(j)] = s;
              max = std::max(max, s);
            }
            double sum = 0;
            for (double& e : p) sum += (e = std::exp(e - max));
            for (int64_t c = 0; c < d; ++c) {
              double acc = 0;
              for (int64_t j = 0; j < sk; ++j)
                acc += p[static_cast<size_t>(j)] / sum * v.values[static_cast<size_t>((bi * sk + j) * h + hi * d + c)];
              r.values[static_cast<size_t>((bi * sq + i) * h + hi * d + c)] = static_cast<float>(acc);
            }
          }
        }
      }
      return r;
    }
    case OpType::kSelectToken: {
      QC_ASSIGN_OR_RETURN(int64_t index, attr_int(AttrName::kIndex));
      const int64_t b = x.dims[0], s = x.dims[1], h = x.dims[2];
      EvalTensor r = EvalTensor::Floats({b, h}, std::vector<float>(static_cast<size_t>(b * h)));
      for (int64_t bi = 0; bi < b; ++bi)
        std::copy_n(x.values.begin() + (bi * s + index) * h, h, r.values.begin() + bi * h);
      return r;
    }
    case OpType::kMeanPool: {
      const int64_t b = x.dims[0], s = x.dims[1], h = x.dims[2];
      const EvalTensor* mask = in.size() > 1 ? in[1] : nullptr;
      EvalTensor r = EvalTensor::Floats({b, h}, std::vector<float>(static_cast<size_t>(b * h)));
      for (int64_t bi = 0; bi < b; ++bi) {
        double count = 0;
        for (int64_t si = 0; si < s; ++si) count += mask ? mask->At(bi * s + si) : 1.0;
        for (int64_t c = 0; c < h; ++c) {
          double acc = 0;
          for (int64_t si = 0; si < s; ++si)
            acc += (mask ? mask->At(bi * s + si) : 1.0) * x.values[static_cast<size_t>((bi * s + si) * h + c)];
          r.values[static_cast<size_t>(bi * h + c)] = static_cast<float>(acc / std::max(count, mask ? 1e-9 : 0.0));
        }
      }
      return r;
    }
    case OpType::kL2Normalize: {
      QC_ASSIGN_OR_RETURN(double eps, attr_float(AttrName::kEpsilon));
      const int64_t n = x.dims.back(), rows = x.size() / n;
      EvalTensor r = x;
      for (int64_t row = 0; row < rows; ++row) {
        double norm = 0;
        for (int64_t i = 0; i < n; ++i)
          norm += static_cast<double>(x.values[static_cast<size_t>(row * n + i)]) *
                  x.values[static_cast<size_t>(row * n + i)];
        norm = std::max(std::sqrt(norm), eps);
        for (int64_t i = 0; i < n; ++i)
          r.values[static_cast<size_t>(row * n + i)] =
              static_cast<float>(x.values[static_cast<size_t>(row * n + i)] / norm);
      }
      return r;
    }
    case OpType::kPatchEmbed: {
      QC_ASSIGN_OR_RETURN(int64_t p, attr_int(AttrName::kPatch));
      const EvalTensor& w = *in[1];
      const int64_t b = x.dims[0], c = x.dims[1], hi = x.dims[2], wi = x.dims[3], dd = w.dims[0];
      const int64_t gy = hi / p, gx = wi / p;
      EvalTensor r = EvalTensor::Floats({b, gy * gx, dd}, std::vector<float>(static_cast<size_t>(b * gy * gx * dd)));
      for (int64_t bi = 0; bi < b; ++bi)
        for (int64_t py = 0; py < gy; ++py)
          for (int64_t px = 0; px < gx; ++px)
            for (int64_t o = 0; o < dd; ++o) {
              double acc = in.size() > 2 && in[2] ? in[2]->values[static_cast<size_t>(o)] : 0.0;
              for (int64_t ci = 0; ci < c; ++ci)
                for (int64_t ky = 0; ky < p; ++ky)
                  for (int64_t kx = 0; kx < p; ++kx)
                    acc += static_cast<double>(w.values[static_cast<size_t>(((o * c + ci) * p + ky) * p + kx)]) *
                           x.values[static_cast<size_t>(((bi * c + ci) * hi + py * p + ky) * wi + px * p + kx)];
              r.values[static_cast<size_t>((bi * gy * gx + py * gx + px) * dd + o)] = static_cast<float>(acc);
            }
      return r;
    }
    case OpType::kPrependToken: {
      const int64_t b = x.dims[0], n = x.dims[1], d = x.dims[2];
      EvalTensor r = EvalTensor::Floats({b, n + 1, d}, std::vector<float>(static_cast<size_t>(b * (n + 1) * d)));
      for (int64_t bi = 0; bi < b; ++bi) {
        std::copy_n(in[1]->values.begin(), d, r.values.begin() + bi * (n + 1) * d);
        std::copy_n(x.values.begin() + bi * n * d, n * d, r.values.begin() + (bi * (n + 1) + 1) * d);
      }
      return r;
    }
    case OpType::kSoftmax:
    case OpType::kQLinear:     // importers never emit quantized ops; tests/quantized checks them
    case OpType::kQEmbedding:
    case OpType::kQAttention:
    case OpType::kQAttentionQkv:
      break;
  }
  return Unsupported(who + ": not implemented in the test evaluator");
}

}  // namespace

EvalTensor EvalTensor::Floats(std::vector<int64_t> dims, std::vector<float> values) {
  EvalTensor t;
  t.dims = std::move(dims);
  t.values = std::move(values);
  return t;
}

EvalTensor EvalTensor::Ints(std::vector<int64_t> dims, std::vector<int64_t> ints) {
  EvalTensor t;
  t.dims = std::move(dims);
  t.ints = std::move(ints);
  t.is_int = true;
  return t;
}

int64_t EvalTensor::size() const {
  return Product(dims);
}

Expected<std::map<std::string, EvalTensor>> EvaluateGraph(const ir::Graph& graph,
                                                          const std::map<std::string, EvalTensor>& inputs) {
  std::map<ir::ValueId, EvalTensor> values;
  for (ir::ValueId id : graph.inputs()) {
    const auto it = inputs.find(graph.value(id).name);
    if (it == inputs.end()) return NotFound("evaluator: no input '" + graph.value(id).name + "'");
    values[id] = it->second;
  }
  for (ir::ValueId id = 0; id < graph.num_values(); ++id) {
    if (graph.value(id).constant) {
      QC_ASSIGN_OR_RETURN(values[id], FromConstant(*graph.value(id).constant));
    }
  }
  QC_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.TopologicalOrder());
  for (ir::NodeId n : order) {
    const ir::Node& node = graph.node(n);
    std::vector<const EvalTensor*> in;
    for (ir::ValueId id : node.inputs) in.push_back(id == ir::kNoValue ? nullptr : &values.at(id));
    QC_ASSIGN_OR_RETURN(values[node.outputs[0]], Run(node, in, graph.DescribeNode(n)));
  }
  std::map<std::string, EvalTensor> out;
  for (ir::ValueId id : graph.outputs()) out[graph.value(id).name] = values.at(id);
  return out;
}

}  // namespace qc::hf::test
