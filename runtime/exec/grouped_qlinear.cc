#include "exec/grouped_qlinear.h"

#include <string>

#include "configs/int_gemm_config.h"
#include "configs/t2_gemm_config.h"
#include "exec/executor.h"
#include "exec/parallel_ops.h"
#include "format/qm_quant_rules.h"
#include "quant/act_quant.h"
#include "quant/t2_pack.h"

namespace qc::exec {

Status RunGroupedQLinear(const PlannedOp& op, const float* x, size_t m, const ConstantRef& weight,
                         const RtTensor& w_scale, const RtTensor* bias, QuantScratch& scratch, float* y) {
  const auto k = static_cast<size_t>(op.attrs.in_features);
  const auto n = static_cast<size_t>(op.attrs.out_features);
  const auto groups = static_cast<size_t>(op.attrs.act_groups);
  const auto granularity = static_cast<qm::QmActGranularity>(op.attrs.act_granularity);
  // The reader enforces these (qm_quant_rules.h); a hand-built plan gets an error rather than a wrong answer.
  if (groups < 2 || k % groups != 0 || granularity == qm::QmActGranularity::kStatic) {
    return InvalidArgument(op.description + ": act_groups " + std::to_string(groups) +
                           " must divide in_features and needs a dynamic act_granularity");
  }
  const size_t group_k = k / groups;
  const uint64_t slice_bytes =
      qm::QmPackedWeightBytes(op.attrs.weight_format, op.attrs.out_features, static_cast<int64_t>(group_k));
  if (slice_bytes == 0 || weight.byte_size != slice_bytes * groups) {
    return InvalidArgument(op.description + ": weight has " + std::to_string(weight.byte_size) + " bytes, expected " +
                           std::to_string(groups) + " packed slices of " + std::to_string(slice_bytes));
  }
  const size_t q_cols = T2PaddedK(group_k);  // the I4 / I8 layouts use the same 128-column blocks
  scratch.held = {};                         // the rows below are one group's, reusable by nobody
  scratch.q.resize(m * q_cols);
  scratch.scale.resize(m);
  scratch.dequant.resize(m);
  scratch.row_sum.resize(m);
  scratch.group_out.resize(m * n);

  ActQuantParams params;
  params.granularity =
      granularity == qm::QmActGranularity::kPerTensor ? ActGranularity::kPerTensor : ActGranularity::kPerToken;
  params.clip = op.attrs.act_clip > 0 ? static_cast<float>(op.attrs.act_clip) : kActNoClip;
  const ActQuantOutput q_out{scratch.q.data(),      q_cols, q_cols, scratch.scale.data(), scratch.dequant.data(),
                             scratch.row_sum.data()};
  const auto format = static_cast<qm::QmWeightFormat>(op.attrs.weight_format);
  const auto* packed = static_cast<const uint8_t*>(weight.data);
  for (size_t g = 0; g < groups; ++g) {
    QC_RETURN_IF_ERROR(QuantizeActivations(x + g * group_k, m, group_k, k, params, q_out)
                           .WithContext(op.description + ": activation group " + std::to_string(g)));
    float* out = g == 0 ? y : scratch.group_out.data();
    auto fill = [&](auto& a) {
      SetGemmOperands(a, packed + g * slice_bytes, w_scale.fdata(), w_scale.count() != 1, scratch, q_cols,
                      g == 0 && bias != nullptr ? bias->fdata() : nullptr, out, m, n, group_k);
    };
    if (format == qm::QmWeightFormat::kT2R4K128) {
      const T2GemmKernel& kernel = GetT2GemmKernel();
      T2GemmArgs a;
      fill(a);
      SplitColumns(scratch.pool, n, static_cast<size_t>(kernel.rows), m * group_k,  // threads: split N here
                   [&](size_t n0, size_t n1) { kernel.fn(a, 0, m, n0, n1); });
    } else {
      const IntGemmKernel& kernel = format == qm::QmWeightFormat::kI8 ? GetI8GemmKernel() : GetI4GemmKernel();
      I8GemmArgs a;
      fill(a);
      SplitColumns(scratch.pool, n, static_cast<size_t>(kernel.rows), m * group_k,  // threads: split N here
                   [&](size_t n0, size_t n1) { kernel.fn(a, 0, m, n0, n1); });
    }
    if (g > 0) ParallelAdd(scratch.pool, y, out, m * n, y);  // threads: splits too
  }
  return Status::Ok();
}

}  // namespace qc::exec
