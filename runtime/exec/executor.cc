#include "exec/executor.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "configs/gemm_config.h"
#include "exec/operand_checks.h"
#include "exec/parallel_ops.h"
#include "format/qm_types.h"
#include "ops/attention.h"
#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/layer_norm.h"
#include "ops/patch_embed.h"
#include "ops/pooling.h"
#include "ops/softmax.h"

namespace qc::exec {
namespace {

using qm::OpType;

int64_t Product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= dims[i];
  return n;
}

Status ShapeError(const PlannedOp& op, const std::string& what) {
  return InvalidArgument(op.description + ": " + what);
}

// Numpy broadcasting of two shapes; error when a pair of dims is neither equal nor 1.
Expected<std::vector<int64_t>> Broadcast(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      return InvalidArgument("shapes " + DimsText(a) + " and " + DimsText(b) + " do not broadcast");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// Offsets of each output element into an operand of shape `in` broadcast to `out` (row-major).
std::vector<int64_t> BroadcastStrides(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t axis_in = in.size() - 1 - i;
    const size_t axis_out = out.size() - 1 - i;
    strides[axis_out] = in[axis_in] == 1 ? 0 : stride;
    stride *= in[axis_in];
  }
  return strides;
}

template <typename T, typename F>
void BroadcastApply(const T* a, const std::vector<int64_t>& sa, const T* b, const std::vector<int64_t>& sb,
                    const std::vector<int64_t>& out_dims, T* y, F f) {
  const int64_t n = Product(out_dims, 0, out_dims.size());
  if (sa == out_dims && sb == out_dims) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
    return;
  }
  const auto stride_a = BroadcastStrides(sa, out_dims);
  const auto stride_b = BroadcastStrides(sb, out_dims);
  std::vector<int64_t> index(out_dims.size(), 0);
  int64_t off_a = 0, off_b = 0;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = f(a[off_a], b[off_b]);
    for (size_t d = out_dims.size(); d-- > 0;) {  // odometer increment
      ++index[d];
      off_a += stride_a[d];
      off_b += stride_b[d];
      if (index[d] < out_dims[d]) break;
      off_a -= stride_a[d] * index[d];
      off_b -= stride_b[d] * index[d];
      index[d] = 0;
    }
  }
}

}  // namespace

int64_t RtTensor::count() const {
  return Product(dims, 0, dims.size());
}

const RtTensor& Executor::In(const PlannedOp& op, size_t k) const {
  return values_[static_cast<uint32_t>(op.inputs[k])];
}

Status Executor::Run(std::vector<RtTensor> inputs, std::vector<RtTensor>* outputs) {
  if (inputs.size() != plan_.inputs.size()) {
    return InvalidArgument("expected " + std::to_string(plan_.inputs.size()) + " inputs, got " +
                           std::to_string(inputs.size()));
  }
  ++run_number_;
  quant_scratch_.held = {};  // nothing from an earlier run is reused
  values_.resize(plan_.num_values);
  for (uint32_t v = 0; v < plan_.num_values; ++v) {
    if (!plan_.is_constant[v]) continue;
    const ConstantRef& c = plan_.constants[v];
    RtTensor& t = values_[v];
    t.type = c.type;
    t.dims = c.dims;
    if (c.type == ValueType::kF32) {
      t.ext_f = static_cast<const float*>(c.data);
    } else if (c.type == ValueType::kPacked) {
      // Read through plan_.constants by the quantized ops.
    } else if (c.type == ValueType::kI64) {
      t.ext_i = static_cast<const int64_t*>(c.data);
    } else {  // int32 constants are widened once per run
      const auto* p = static_cast<const int32_t*>(c.data);
      t.type = ValueType::kI64;
      t.i.assign(p, p + t.count());
    }
  }
  for (size_t k = 0; k < inputs.size(); ++k) values_[plan_.inputs[k]] = std::move(inputs[k]);

  // Release intermediates after their last reader so peak memory follows the live set, not the whole graph.
  auto release_inputs = [&](uint32_t i) {
    for (int32_t in : plan_.ops[i].inputs) {
      if (in < 0) continue;
      const auto v = static_cast<uint32_t>(in);
      if (plan_.last_use[v] == i && !plan_.is_constant[v]) values_[v] = RtTensor{};
    }
  };
  using Clock = std::chrono::steady_clock;
  for (uint32_t i = 0; i < plan_.ops.size(); ++i) {
    const Clock::time_point start = profile_.enabled() ? Clock::now() : Clock::time_point{};
    if (AddFeedsLayerNorm(i)) {  // residual + LayerNorm: the Add's operands stay alive until the pair has run
      defer_add_ = true;
      Status st = RunOp(plan_.ops[i]);
      defer_add_ = false;
      if (st.ok()) st = RunOp(plan_.ops[i + 1]);
      pending_add_ = PendingAdd{};
      QC_RETURN_IF_ERROR(st);
      if (profile_.enabled()) {
        profile_.Add("Add+LayerNorm", std::chrono::duration<double>(Clock::now() - start).count());
      }
      release_inputs(i);
      release_inputs(i + 1);
      ++i;
      continue;
    }
    QC_RETURN_IF_ERROR(RunOp(plan_.ops[i]));
    if (profile_.enabled()) {
      profile_.Add(qm::OpTypeName(plan_.ops[i].type), std::chrono::duration<double>(Clock::now() - start).count());
    }
    release_inputs(i);
  }
  outputs->clear();
  for (uint32_t v : plan_.outputs) {
    RtTensor out = values_[v];  // a graph output may also be an input or a constant: copy, then own
    if (out.ext_f != nullptr) {
      out.f.assign(out.ext_f, out.ext_f + out.count());
      out.ext_f = nullptr;
    }
    if (out.ext_i != nullptr) {
      out.i.assign(out.ext_i, out.ext_i + out.count());
      out.ext_i = nullptr;
    }
    outputs->push_back(std::move(out));
  }
  for (uint32_t v = 0; v < plan_.num_values; ++v) {
    if (!plan_.is_constant[v]) values_[v] = RtTensor{};
  }
  return Status::Ok();
}

bool Executor::AddFeedsLayerNorm(uint32_t i) const {
  if (i + 1 >= plan_.ops.size()) return false;
  const PlannedOp& add = plan_.ops[i];
  const PlannedOp& ln = plan_.ops[i + 1];
  if (add.type != OpType::Add || ln.type != OpType::LayerNorm || add.inputs.size() != 2 || add.outputs.empty() ||
      ln.inputs.size() < 3 || ln.inputs[0] != add.outputs[0] || add.inputs[0] < 0 || add.inputs[1] < 0) {
    return false;
  }
  const RtTensor& a = values_[static_cast<uint32_t>(add.inputs[0])];
  const RtTensor& b = values_[static_cast<uint32_t>(add.inputs[1])];
  if (!a.is_float() || !b.is_float() || a.dims != b.dims || a.dims.empty()) return false;
  // Over the last axis only: the fused rows are LayerNorm's rows.
  const auto rank = static_cast<int64_t>(a.dims.size());
  const int64_t axis = ln.attrs.axis < 0 ? ln.attrs.axis + rank : ln.attrs.axis;
  return axis == rank - 1;
}

Status Executor::RunOp(const PlannedOp& op) {
  RtTensor out;
  out.type = ValueType::kF32;
  auto need_float = [&](size_t k) -> Status {
    if (!In(op, k).is_float()) return ShapeError(op, "input " + std::to_string(k) + " must be float");
    return Status::Ok();
  };
  auto need_rank = [&](size_t k, size_t rank) -> Status {
    if (In(op, k).dims.size() != rank) {
      return ShapeError(op, "input " + std::to_string(k) + " has shape " + DimsText(In(op, k).dims) +
                                ", expected rank " + std::to_string(rank));
    }
    return Status::Ok();
  };
  auto mask_of = [&](size_t k) -> TokenMask {
    if (!Has(op, k)) return TokenMask::None();
    const RtTensor& m = In(op, k);
    return m.is_float() ? TokenMask::Float(m.fdata()) : TokenMask::Int64(m.idata());
  };

  switch (op.type) {
    case OpType::Embedding: {
      const RtTensor& ids = In(op, 0);
      const RtTensor& table = In(op, 1);
      if (ids.is_float()) return ShapeError(op, "ids must be integers");
      out.dims = ids.dims;
      out.dims.push_back(table.dims[1]);
      out.f.resize(static_cast<size_t>(out.count()));
      QC_RETURN_IF_ERROR(EmbeddingGather(ids.idata(), static_cast<size_t>(ids.count()), table.fdata(),
                                         static_cast<size_t>(table.dims[0]), static_cast<size_t>(table.dims[1]),
                                         out.f.data())
                             .WithContext(op.description));
      break;
    }
    case OpType::AddPositionEmbedding: {
      QC_RETURN_IF_ERROR(need_float(0));
      QC_RETURN_IF_ERROR(need_rank(0, 3));
      const RtTensor& x = In(op, 0);
      const RtTensor& table = In(op, 1);
      if (x.dims[2] != table.dims[1]) return ShapeError(op, "width of x and of the position table differ");
      out.dims = x.dims;
      out.f.resize(static_cast<size_t>(out.count()));
      QC_RETURN_IF_ERROR(AddPositionEmbedding(x.fdata(), static_cast<size_t>(x.dims[0]), static_cast<size_t>(x.dims[1]),
                                              static_cast<size_t>(x.dims[2]), table.fdata(),
                                              static_cast<size_t>(table.dims[0]), static_cast<size_t>(op.attrs.offset),
                                              out.f.data())
                             .WithContext(op.description));
      break;
    }
    case OpType::Add:
    case OpType::Sub:
    case OpType::Mul: {
      const RtTensor& a = In(op, 0);
      const RtTensor& b = In(op, 1);
      if (a.is_float() != b.is_float()) return ShapeError(op, "operands differ in element type");
      auto dims = Broadcast(a.dims, b.dims);
      if (!dims.ok()) return dims.status().WithContext(op.description);
      out.dims = *dims;
      out.type = a.type;
      const size_t n = static_cast<size_t>(out.count());
      if (a.is_float()) {
        out.f.resize(n);
        if (op.type == OpType::Add && a.dims == b.dims && defer_add_) {
          pending_add_ = PendingAdd{a.fdata(), b.fdata(), out.f.data(), op.outputs[0]};  // the LayerNorm adds
        } else if (op.type == OpType::Add && a.dims == b.dims) {
          ParallelAdd(pool_, a.fdata(), b.fdata(), n, out.f.data());
        } else if (op.type == OpType::Add) {
          BroadcastApply(a.fdata(), a.dims, b.fdata(), b.dims, out.dims, out.f.data(),
                         [](float x, float y) { return x + y; });
        } else if (op.type == OpType::Sub) {
          BroadcastApply(a.fdata(), a.dims, b.fdata(), b.dims, out.dims, out.f.data(),
                         [](float x, float y) { return x - y; });
        } else {
          BroadcastApply(a.fdata(), a.dims, b.fdata(), b.dims, out.dims, out.f.data(),
                         [](float x, float y) { return x * y; });
        }
      } else {
        out.type = ValueType::kI64;
        out.i.resize(n);
        const OpType t = op.type;
        BroadcastApply(a.idata(), a.dims, b.idata(), b.dims, out.dims, out.i.data(), [t](int64_t x, int64_t y) {
          return t == OpType::Add ? x + y : t == OpType::Sub ? x - y : x * y;
        });
      }
      break;
    }
    case OpType::LayerNorm: {
      QC_RETURN_IF_ERROR(need_float(0));
      const RtTensor& x = In(op, 0);
      const int64_t rank = static_cast<int64_t>(x.dims.size());
      const int64_t axis = op.attrs.axis < 0 ? op.attrs.axis + rank : op.attrs.axis;
      if (axis < 0 || axis >= rank) return ShapeError(op, "axis out of range for shape " + DimsText(x.dims));
      const int64_t cols = Product(x.dims, static_cast<size_t>(axis), x.dims.size());
      if (In(op, 1).count() != cols || In(op, 2).count() != cols) {
        return ShapeError(op, "gamma/beta hold " + std::to_string(In(op, 1).count()) + " values, normalised size is " +
                                  std::to_string(cols));
      }
      out.dims = x.dims;
      out.f.resize(static_cast<size_t>(out.count()));
      const auto rows = static_cast<size_t>(x.count() / std::max<int64_t>(cols, 1));
      if (pending_add_.sum != nullptr && op.inputs[0] == pending_add_.value) {
        ParallelAddLayerNorm(pool_, pending_add_.a, pending_add_.b, rows, static_cast<size_t>(cols), In(op, 1).fdata(),
                             In(op, 2).fdata(), static_cast<float>(op.attrs.epsilon), pending_add_.sum, out.f.data());
        pending_add_ = PendingAdd{};
      } else {
        ParallelLayerNorm(pool_, x.fdata(), rows, static_cast<size_t>(cols), In(op, 1).fdata(), In(op, 2).fdata(),
                          static_cast<float>(op.attrs.epsilon), out.f.data());
      }
      break;
    }
    case OpType::Linear: {
      QC_RETURN_IF_ERROR(need_float(0));
      const RtTensor& x = In(op, 0);
      const RtTensor& w = In(op, 1);
      if (x.dims.empty() || x.dims.back() != w.dims[1]) {
        return ShapeError(op, "input " + DimsText(x.dims) + " does not match weight " + DimsText(w.dims));
      }
      out.dims = x.dims;
      out.dims.back() = w.dims[0];
      out.f.resize(static_cast<size_t>(out.count()));
      F32GemmArgs g;
      g.k = static_cast<size_t>(w.dims[1]);
      g.n = static_cast<size_t>(w.dims[0]);
      g.m = static_cast<size_t>(x.count()) / std::max<size_t>(g.k, 1);
      g.x = x.fdata();
      g.x_stride = g.k;
      g.w = w.fdata();
      g.w_stride = g.k;
      g.bias = Has(op, 2) ? In(op, 2).fdata() : nullptr;
      g.y = out.f.data();
      g.y_stride = g.n;
      ParallelF32Gemm(pool_, g);
      break;
    }
    case OpType::Gelu:
    case OpType::Tanh:
    case OpType::Relu: {
      QC_RETURN_IF_ERROR(need_float(0));
      const RtTensor& x = In(op, 0);
      out.dims = x.dims;
      const size_t n = static_cast<size_t>(x.count());
      out.f.resize(n);
      const auto fn = op.type == OpType::Tanh     ? &Tanh
                      : op.type == OpType::Relu   ? &Relu
                      : op.attrs.approximate == 1 ? &GeluTanh
                                                  : &GeluErf;
      ParallelElements(pool_, n, fn, x.fdata(), out.f.data());
      break;
    }
    case OpType::Softmax: {
      QC_RETURN_IF_ERROR(need_float(0));
      const RtTensor& x = In(op, 0);
      const int64_t rank = static_cast<int64_t>(x.dims.size());
      if (rank == 0 || (op.attrs.axis != -1 && op.attrs.axis != rank - 1)) {
        return Unsupported(op.description + ": softmax is supported over the last axis only");
      }
      out.dims = x.dims;
      out.f.resize(static_cast<size_t>(x.count()));
      const size_t cols = static_cast<size_t>(x.dims.back());
      ParallelSoftmax(pool_, x.fdata(), static_cast<size_t>(x.count()) / std::max<size_t>(cols, 1), cols, out.f.data());
      break;
    }
    case OpType::Attention: {
      for (size_t k = 0; k < 3; ++k) {
        QC_RETURN_IF_ERROR(need_float(k));
        QC_RETURN_IF_ERROR(need_rank(k, 3));
      }
      const RtTensor& q = In(op, 0);
      QC_RETURN_IF_ERROR(CheckAttentionShapes(op, q, In(op, 1), In(op, 2), Has(op, 3) ? &In(op, 3) : nullptr));
      AttentionParams p;
      FillAttentionParams(op, q.dims, &p);
      out.dims = q.dims;
      out.f.resize(static_cast<size_t>(q.count()));
      QC_RETURN_IF_ERROR(
          ParallelAttention(pool_, p, q.fdata(), In(op, 1).fdata(), In(op, 2).fdata(), mask_of(3), out.f.data())
              .WithContext(op.description));
      break;
    }
    case OpType::SelectToken: {
      QC_RETURN_IF_ERROR(need_float(0));
      QC_RETURN_IF_ERROR(need_rank(0, 3));
      const RtTensor& x = In(op, 0);
      out.dims = {x.dims[0], x.dims[2]};
      out.f.resize(static_cast<size_t>(out.count()));
      QC_RETURN_IF_ERROR(SelectToken(x.fdata(), static_cast<size_t>(x.dims[0]), static_cast<size_t>(x.dims[1]),
                                     static_cast<size_t>(x.dims[2]), static_cast<size_t>(op.attrs.index), out.f.data())
                             .WithContext(op.description));
      break;
    }
    case OpType::MeanPool: {
      QC_RETURN_IF_ERROR(need_float(0));
      QC_RETURN_IF_ERROR(need_rank(0, 3));
      const RtTensor& x = In(op, 0);
      if (Has(op, 1) && In(op, 1).dims != std::vector<int64_t>{x.dims[0], x.dims[1]}) {
        return ShapeError(op, "mask " + DimsText(In(op, 1).dims) + " does not match " + DimsText(x.dims));
      }
      out.dims = {x.dims[0], x.dims[2]};
      out.f.resize(static_cast<size_t>(out.count()));
      MaskedMeanPool(x.fdata(), static_cast<size_t>(x.dims[0]), static_cast<size_t>(x.dims[1]),
                     static_cast<size_t>(x.dims[2]), mask_of(1), out.f.data());
      break;
    }
    case OpType::L2Normalize: {
      QC_RETURN_IF_ERROR(need_float(0));
      const RtTensor& x = In(op, 0);
      const int64_t rank = static_cast<int64_t>(x.dims.size());
      if (rank == 0 || (op.attrs.axis != -1 && op.attrs.axis != rank - 1)) {
        return Unsupported(op.description + ": L2Normalize is supported over the last axis only");
      }
      out.dims = x.dims;
      out.f.resize(static_cast<size_t>(x.count()));
      const size_t cols = static_cast<size_t>(x.dims.back());
      L2Normalize(x.fdata(), static_cast<size_t>(x.count()) / std::max<size_t>(cols, 1), cols,
                  static_cast<float>(op.attrs.epsilon), out.f.data());
      break;
    }
    case OpType::PatchEmbed: {
      QC_RETURN_IF_ERROR(need_float(0));
      QC_RETURN_IF_ERROR(need_rank(0, 4));
      const RtTensor& img = In(op, 0);
      const RtTensor& w = In(op, 1);
      PatchEmbedShape s;
      s.batch = static_cast<size_t>(img.dims[0]);
      s.channels = static_cast<size_t>(img.dims[1]);
      s.height = static_cast<size_t>(img.dims[2]);
      s.width = static_cast<size_t>(img.dims[3]);
      s.patch = static_cast<size_t>(op.attrs.patch);
      s.dim = static_cast<size_t>(w.dims[0]);
      if (w.dims.size() != 4 || w.dims[1] != img.dims[1] || w.dims[2] != op.attrs.patch ||
          w.dims[3] != op.attrs.patch) {
        return ShapeError(op, "weight " + DimsText(w.dims) + " does not match image " + DimsText(img.dims) +
                                  " with patch " + std::to_string(op.attrs.patch));
      }
      out.dims = {img.dims[0], static_cast<int64_t>(s.num_patches()), w.dims[0]};
      out.f.resize(static_cast<size_t>(out.count()));
      std::vector<float> scratch(PatchEmbedScratchFloats(s));
      QC_RETURN_IF_ERROR(
          PatchEmbed(s, img.fdata(), w.fdata(), Has(op, 2) ? In(op, 2).fdata() : nullptr, out.f.data(), scratch.data())
              .WithContext(op.description));
      break;
    }
    case OpType::PrependToken: {
      QC_RETURN_IF_ERROR(need_float(0));
      QC_RETURN_IF_ERROR(need_rank(0, 3));
      const RtTensor& x = In(op, 0);
      const RtTensor& token = In(op, 1);
      if (token.count() != x.dims[2]) return ShapeError(op, "token width differs from x " + DimsText(x.dims));
      out.dims = {x.dims[0], x.dims[1] + 1, x.dims[2]};
      out.f.resize(static_cast<size_t>(out.count()));
      PrependToken(x.fdata(), static_cast<size_t>(x.dims[0]), static_cast<size_t>(x.dims[1]),
                   static_cast<size_t>(x.dims[2]), token.fdata(), out.f.data());
      break;
    }
    case OpType::QLinear: {
      const ConstantRef& weight = plan_.constants[static_cast<uint32_t>(op.inputs[1])];
      // Values are written once per run, so (run, value id) names these activations until the run ends.
      quant_scratch_.next_source = (run_number_ << 32) | (static_cast<uint64_t>(op.inputs[0]) + 1);
      QC_RETURN_IF_ERROR(
          RunQLinear(op, In(op, 0), weight, In(op, 2), Has(op, 3) ? &In(op, 3) : nullptr, quant_scratch_, &out));
      break;
    }
    case OpType::QAttention:
      QC_RETURN_IF_ERROR(
          RunQAttention(op, In(op, 0), In(op, 1), In(op, 2), Has(op, 3) ? &In(op, 3) : nullptr, quant_scratch_, &out));
      break;
    case OpType::QAttentionQkv:
      QC_RETURN_IF_ERROR(RunQAttentionQkv(op, In(op, 0), Has(op, 1) ? &In(op, 1) : nullptr, quant_scratch_, &out));
      break;
    case OpType::QEmbedding: {
      const ConstantRef& table = plan_.constants[static_cast<uint32_t>(op.inputs[1])];
      QC_RETURN_IF_ERROR(RunQEmbedding(op, In(op, 0), table, In(op, 2), quant_scratch_.pool, &out));
      break;
    }
    default:
      return Unsupported(op.description + ": not executed by this runtime");
  }
  values_[static_cast<uint32_t>(op.outputs[0])] = std::move(out);
  return Status::Ok();
}

}  // namespace qc::exec
