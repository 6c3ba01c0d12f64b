#include "exec/quantized_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "configs/int_gemm_config.h"
#include "configs/t2_gemm_config.h"
#include "exec/executor.h"
#include "exec/grouped_qlinear.h"
#include "exec/operand_checks.h"
#include "exec/parallel_ops.h"
#include "format/qm_quant_rules.h"
#include "ops/elementwise.h"
#include "ops/qattention.h"
#include "quant/act_quant.h"
#include "quant/t2_pack.h"
#include "quant/twn.h"

namespace qc::exec {
namespace {

// Row chunks per thread in a row-split QLinear: enough for a thread that the host slows to hand work to the other,
// few enough that each call still reuses its unpacked weights over several register tiles.
constexpr size_t kRowChunksPerThread = 2;

// Quantizes x [m, k] into scratch (rows of q_cols int8, zero past k) per the op's activation attributes.
void PrepareScratch(size_t m, size_t q_cols, QuantScratch& s) {
  s.q.resize(m * q_cols);
  s.scale.resize(m);
  s.dequant.resize(m);
  s.row_sum.resize(m);
}

// The quantizer parameters of a dynamic (per-token or per-tensor) QLinear input.
ActQuantParams DynamicParams(const PlannedOp& op) {
  ActQuantParams params;
  params.granularity = static_cast<qm::QmActGranularity>(op.attrs.act_granularity) == qm::QmActGranularity::kPerTensor
                           ? ActGranularity::kPerTensor
                           : ActGranularity::kPerToken;
  params.clip = op.attrs.act_clip > 0 ? static_cast<float>(op.attrs.act_clip) : kActNoClip;
  return params;
}

Status QuantizeInput(const PlannedOp& op, const float* x, size_t m, size_t k, size_t q_cols, QuantScratch& s) {
  PrepareScratch(m, q_cols, s);
  const float clip = op.attrs.act_clip > 0 ? static_cast<float>(op.attrs.act_clip) : kActNoClip;
  const auto granularity = static_cast<qm::QmActGranularity>(op.attrs.act_granularity);
  if (granularity != qm::QmActGranularity::kStatic) {
    const ActQuantParams params = DynamicParams(op);
    const ActQuantOutput out{s.q.data(), q_cols, q_cols, s.scale.data(), s.dequant.data(), s.row_sum.data()};
    // threads: per-token rows split across the session's pool (exec/parallel_ops.h)
    return ParallelQuantizeActivations(s.pool, x, m, k, params, out).WithContext(op.description);
  }
  // Static: the scale comes from the exported amax; values beyond it (or beyond a smaller act_clip) saturate.
  const auto amax = static_cast<float>(op.attrs.act_amax);
  const ActScale sc = ActScaleFromAbsMax(amax);
  const float static_clip = std::min(clip, amax);
  for (size_t r = 0; r < m; ++r) {
    const float* row = x + r * k;
    bool has_nan = false;
    ActAbsMax(row, k, static_clip, &has_nan);
    if (has_nan) return InvalidArgument(op.description + ": input row " + std::to_string(r) + " holds NaN");
    s.scale[r] = sc.scale;
    s.dequant[r] = sc.dequant;
    s.row_sum[r] = QuantizeActivationRow(row, k, static_clip, sc.scale, s.q.data() + r * q_cols, q_cols);
  }
  return Status::Ok();
}

// The bit pattern of a numeric attribute, for exact comparison.
template <typename T>
int64_t BitsOf(T v) {
  const double d = static_cast<double>(v);
  int64_t bits = 0;
  std::memcpy(&bits, &d, sizeof(bits));
  return bits;
}

// The value of element i of a dense T2 / I4 / I8 table.
inline float CodeValue(qm::DType dtype, const uint8_t* bytes, size_t i) {
  switch (dtype) {
    case qm::DType::T2:
      return static_cast<float>(static_cast<int>((bytes[i / 4] >> (2 * (i % 4))) & 3u) - 1);
    case qm::DType::I4: {
      const unsigned nibble = (bytes[i / 2] >> (4 * (i % 2))) & 0xFu;
      return static_cast<float>(static_cast<int>(nibble ^ 8u) - 8);  // two's complement 4-bit
    }
    default:
      return static_cast<float>(static_cast<int8_t>(bytes[i]));
  }
}

}  // namespace

Status RunQLinear(const PlannedOp& op, const RtTensor& x, const ConstantRef& weight, const RtTensor& w_scale,
                  const RtTensor* bias, QuantScratch& scratch, RtTensor* out) {
  const auto k = static_cast<size_t>(op.attrs.in_features);
  const auto n = static_cast<size_t>(op.attrs.out_features);
  if (!x.is_float() || x.dims.empty() || x.dims.back() != op.attrs.in_features) {
    return InvalidArgument(op.description + ": input " + DimsText(x.dims) + " does not end in in_features " +
                           std::to_string(k));
  }
  const size_t m = static_cast<size_t>(x.count()) / k;
  out->type = ValueType::kF32;
  out->dims = x.dims;
  out->dims.back() = op.attrs.out_features;
  out->f.resize(m * n);
  if (m == 0) return Status::Ok();
  const auto format = static_cast<qm::QmWeightFormat>(op.attrs.weight_format);
  if (format != qm::QmWeightFormat::kT2R4K128 && format != qm::QmWeightFormat::kI4 &&
      format != qm::QmWeightFormat::kI8) {
    return Unsupported(op.description + ": weight_format " + std::to_string(op.attrs.weight_format) +
                       " is not executed by this runtime build");
  }
  const size_t q_cols = T2PaddedK(k);  // the I4 / I8 layouts use the same 128-column blocks
  const QuantScratch::Held wanted{scratch.next_source,
                                  BitsOf(op.attrs.act_clip),
                                  op.attrs.act_granularity,
                                  BitsOf(op.attrs.act_amax),
                                  m,
                                  k,
                                  q_cols};
  const bool held = wanted.source != 0 && scratch.held == wanted;
  auto remember = [&] { scratch.held = wanted; };
  const auto epilogue = static_cast<qm::QmEpilogue>(op.attrs.epilogue);
  void (*const activation)(const float*, size_t, float*) = epilogue == qm::QmEpilogue::kGeluErf    ? &GeluErf
                                                           : epilogue == qm::QmEpilogue::kGeluTanh ? &GeluTanh
                                                                                                   : nullptr;
  if (op.attrs.act_groups > 1) {
    QC_RETURN_IF_ERROR(RunGroupedQLinear(op, x.fdata(), m, weight, w_scale, bias, scratch, out->f.data()));
    if (activation != nullptr) ParallelElements(scratch.pool, m * n, activation, out->f.data(), out->f.data());
    return Status::Ok();
  }
  const T2GemmKernel& t2_kernel = GetT2GemmKernel();
  // Many tokens on a ternary weight: rows are split across threads, and each thread quantizes its rows (per-token
  // scales are row-local), multiplies them and applies the activation in one parallel region: each thread reads
  // the rows the row-split ops before it left in its cache and writes whole output rows, and the threads meet once.
  const bool row_split = format == qm::QmWeightFormat::kT2R4K128 && m >= 4 * static_cast<size_t>(t2_kernel.tokens);
  const bool quantize_in_rows =
      row_split && !held &&
      static_cast<qm::QmActGranularity>(op.attrs.act_granularity) == qm::QmActGranularity::kPerToken;
  if (!held && !quantize_in_rows) {
    scratch.held = {};  // invalid until the quantization below succeeds
    QC_RETURN_IF_ERROR(QuantizeInput(op, x.fdata(), m, k, q_cols, scratch));
    remember();
  }
  // T2GemmArgs and I8GemmArgs have the same fields; each format fills its own and runs its kernel over columns.
  auto fill = [&](auto& a) {
    SetGemmOperands(a, static_cast<const uint8_t*>(weight.data), w_scale.fdata(), w_scale.count() != 1, scratch, q_cols,
                    bias != nullptr ? bias->fdata() : nullptr, out->f.data(), m, n, k);
  };

  auto run_columns = [&](const auto& a, auto fn, int rows) {
    SplitColumns(scratch.pool, n, static_cast<size_t>(rows), m * k,  // threads: split N here
                 [&](size_t n0, size_t n1) { fn(a, 0, m, n0, n1); });
  };
  float* y = out->f.data();
  if (row_split) {
    if (quantize_in_rows) {
      scratch.held = {};
      PrepareScratch(m, q_cols, scratch);
    }
    T2GemmArgs a;
    fill(a);
    const auto tile = static_cast<size_t>(t2_kernel.tokens);
    const size_t tiles = (m + tile - 1) / tile;
    const size_t parts = PartsForWork(scratch.pool, tiles, n * k * tile);
    // Two row chunks per thread (ClaimTasks): a thread slowed by the host hands its second chunk to the other. Each
    // chunk still spans several register tiles, so the weights unpacked per call are reused.
    const size_t chunks = parts <= 1 ? 1 : std::min(tiles, kRowChunksPerThread * parts);
    const ActQuantParams params = DynamicParams(op);
    TaskStatuses statuses(chunks);
    ClaimTasks(scratch.pool, chunks, parts, [&](size_t chunk, size_t /*part*/) {  // threads: split M here
      const Range r = SplitRange(m, chunks, chunk, tile);
      if (r.begin >= r.end) return;
      if (quantize_in_rows) {
        const ActQuantOutput whole{scratch.q.data(),      q_cols, q_cols, scratch.scale.data(), scratch.dequant.data(),
                                   scratch.row_sum.data()};
        const Status st = QuantizeActivationRows(x.fdata(), k, params, whole, r);
        if (!st.ok()) {
          statuses.Set(chunk, st);
          return;
        }
      }
      t2_kernel.fn(a, r.begin, r.end, 0, n);
      if (activation != nullptr) activation(y + r.begin * n, (r.end - r.begin) * n, y + r.begin * n);
    });
    if (quantize_in_rows) {
      // The whole-tensor quantizer names the first bad row in the op's terms.
      if (!statuses.First().ok()) {
        const Status whole = QuantizeInput(op, x.fdata(), m, k, q_cols, scratch);
        return whole.ok() ? statuses.First().WithContext(op.description) : whole;
      }
      remember();
    }
    return Status::Ok();
  }
  if (format == qm::QmWeightFormat::kT2R4K128) {
    T2GemmArgs a;
    fill(a);
    run_columns(a, t2_kernel.fn, t2_kernel.rows);
  } else {
    I8GemmArgs a;
    fill(a);
    const IntGemmKernel& kernel = format == qm::QmWeightFormat::kI8 ? GetI8GemmKernel() : GetI4GemmKernel();
    run_columns(a, kernel.fn, kernel.rows);
  }
  if (activation != nullptr) ParallelElements(scratch.pool, m * n, activation, y, y);  // threads: splits too
  return Status::Ok();
}

Status RunQEmbedding(const PlannedOp& op, const RtTensor& ids, const ConstantRef& table, const RtTensor& scale,
                     ThreadPool* pool, RtTensor* out) {
  if (ids.is_float()) return InvalidArgument(op.description + ": ids must be integers");
  const int64_t rows = table.dims[0];
  const auto dim = static_cast<size_t>(table.dims[1]);
  const auto count = static_cast<size_t>(ids.count());
  out->type = ValueType::kF32;
  out->dims = ids.dims;
  out->dims.push_back(table.dims[1]);
  out->f.resize(count * dim);
  const int64_t* id = ids.idata();
  for (size_t i = 0; i < count; ++i) {
    if (id[i] < 0 || id[i] >= rows) {
      return OutOfRange(op.description + ": id " + std::to_string(id[i]) + " at position " + std::to_string(i) +
                        " is outside [0, " + std::to_string(rows) + ")");
    }
  }
  const auto* bytes = static_cast<const uint8_t*>(table.data);
  const float* alpha = scale.fdata();
  // Decoding an element costs about as much as a few multiply-adds (the unit PartsForWork sizes parts in).
  const size_t parts = PartsForWork(pool, count, dim * 4);
  ParallelFor(pool, parts, [&](size_t part) {
    const Range r = SplitRange(count, parts, part, 1);
    for (size_t i = r.begin; i < r.end; ++i) {
      const auto v = static_cast<size_t>(id[i]);
      float* y = out->f.data() + i * dim;
      for (size_t e = 0; e < dim; ++e) y[e] = alpha[v] * CodeValue(table.dtype, bytes, v * dim + e);
    }
  });
  return Status::Ok();
}

namespace {

// QAttention on q, k, v [B, S, H] views (q_dims; strides in `p`), shared by QAttention and QAttentionQkv.
Status RunQAttentionViews(const PlannedOp& op, const std::vector<int64_t>& q_dims, QAttentionParams p, const float* q,
                          const float* k, const float* v, const RtTensor* mask, QuantScratch& scratch, RtTensor* out) {
  FillAttentionParams(op, q_dims, &p);
  p.act_clip = static_cast<float>(op.attrs.act_clip);
  out->type = ValueType::kF32;
  out->dims = q_dims;
  out->f.resize(p.batch * p.seq * p.hidden);
  if (p.batch == 0 || p.seq == 0) return Status::Ok();
  QC_RETURN_IF_ERROR(ValidateQAttention(p).WithContext(op.description));
  TokenMask token_mask = TokenMask::None();
  if (mask != nullptr) {
    token_mask = mask->is_float() ? TokenMask::Float(mask->fdata()) : TokenMask::Int64(mask->idata());
  }
  return ParallelQAttention(scratch.pool, p, q, k, v, token_mask, out->f.data(), &scratch.attention)
      .WithContext(op.description);
}

}  // namespace

Status RunQAttention(const PlannedOp& op, const RtTensor& q, const RtTensor& k, const RtTensor& v, const RtTensor* mask,
                     QuantScratch& scratch, RtTensor* out) {
  for (const RtTensor* t : {&q, &k, &v}) {
    if (!t->is_float() || t->dims.size() != 3) {
      return InvalidArgument(op.description + ": q, k and v must be float [batch, sequence, hidden], got " +
                             DimsText(t->dims));
    }
  }
  QC_RETURN_IF_ERROR(CheckAttentionShapes(op, q, k, v, mask));
  return RunQAttentionViews(op, q.dims, QAttentionParams{}, q.fdata(), k.fdata(), v.fdata(), mask, scratch, out);
}

Status RunQAttentionQkv(const PlannedOp& op, const RtTensor& qkv, const RtTensor* mask, QuantScratch& scratch,
                        RtTensor* out) {
  QC_ASSIGN_OR_RETURN(std::vector<int64_t> dims, FusedQkvDims(op, qkv, mask));
  const auto hidden = static_cast<size_t>(dims[2]);
  QAttentionParams p;
  p.q_stride = p.k_stride = p.v_stride = 3 * hidden;  // q, k, v are column ranges of each token's row
  const float* base = qkv.fdata();
  return RunQAttentionViews(op, dims, p, base, base + hidden, base + 2 * hidden, mask, scratch, out);
}

}  // namespace qc::exec
