#include "passes/weight_packing.h"

#include "runtime/quant/i4_pack.h"
#include "runtime/quant/i8_pack.h"
#include "runtime/quant/t2_pack.h"
#include "runtime/quant/twn.h"

namespace qc::passes {
namespace {

Expected<std::vector<uint8_t>> Ternarize(const float* w, int64_t rows, int64_t cols, TwnGranularity g,
                                         std::vector<float>* scales) {
  std::vector<uint8_t> codes(static_cast<size_t>(rows * cols));
  scales->assign(TwnScaleCount(static_cast<size_t>(rows), g), 0.0f);
  TwnParams params;
  params.granularity = g;
  QC_RETURN_IF_ERROR(TernarizeTwn(w, static_cast<size_t>(rows), static_cast<size_t>(cols), static_cast<size_t>(cols),
                                  params, codes.data(), static_cast<size_t>(cols), scales->data()));
  return codes;
}

// Symmetric int8 / int4 codes (runtime QuantizeIntWeights: qat/fake_quant.cc's rule) and scales [1] or [rows].
Expected<std::vector<int8_t>> QuantizeInt(const float* w, int64_t rows, int64_t cols, ir::WeightBits bits,
                                          bool per_row, std::vector<float>* scales) {
  std::vector<int8_t> codes(static_cast<size_t>(rows * cols));
  scales->assign(per_row ? static_cast<size_t>(rows) : 1, 0.0f);
  const int qmax = bits == ir::WeightBits::kInt8 ? kI8Max : kI4Max;
  QC_RETURN_IF_ERROR(QuantizeIntWeights(w, static_cast<size_t>(rows), static_cast<size_t>(cols),
                                        static_cast<size_t>(cols), qmax, per_row, codes.data(),
                                        static_cast<size_t>(cols), scales->data()));
  return codes;
}

}  // namespace

Expected<ir::QWeightFormat> LinearWeightFormat(ir::WeightBits bits) {
  switch (bits) {
    case ir::WeightBits::kTernary: return ir::QWeightFormat::kT2R4K128;
    case ir::WeightBits::kInt4: return ir::QWeightFormat::kI4;
    case ir::WeightBits::kInt8: return ir::QWeightFormat::kI8;
    case ir::WeightBits::kFloat32: break;
  }
  return InvalidArgument("weight bits " + std::string(ir::WeightBitsName(bits)) + " have no quantized format");
}

Expected<PackedWeight> PackLinearWeight(const float* w, int64_t n, int64_t k, ir::WeightBits bits,
                                        ir::WeightGranularity granularity, int64_t act_groups) {
  if (n <= 0 || k <= 0) return InvalidArgument("weight [" + std::to_string(n) + ", " + std::to_string(k) + "] is empty");
  if (act_groups < 1 || act_groups > ir::kMaxActGroups || k % act_groups != 0) {
    return InvalidArgument("act_groups " + std::to_string(act_groups) + " must be in [1, " +
                           std::to_string(ir::kMaxActGroups) + "] and divide in_features " + std::to_string(k));
  }
  if (granularity == ir::WeightGranularity::kPerGroup) {
    return Unsupported("per-group weight scales are not supported by QLinear (per tensor or per row)");
  }
  PackedWeight out;
  QC_ASSIGN_OR_RETURN(out.format, LinearWeightFormat(bits));
  const auto rows = static_cast<size_t>(n), cols = static_cast<size_t>(k);
  const auto groups = static_cast<size_t>(act_groups), slice_cols = cols / groups;
  // Scales come from the whole matrix; each activation group's column slice is then packed on its own.
  if (bits == ir::WeightBits::kInt8 || bits == ir::WeightBits::kInt4) {
    QC_ASSIGN_OR_RETURN(std::vector<int8_t> q,
                        QuantizeInt(w, n, k, bits, granularity == ir::WeightGranularity::kPerRow, &out.scales));
    const bool i8 = bits == ir::WeightBits::kInt8;
    const size_t slice_bytes = i8 ? I8PackedBytes(rows, slice_cols) : I4PackedBytes(rows, slice_cols);
    out.bytes.resize(slice_bytes * groups);
    for (size_t g = 0; g < groups; ++g) {
      const int8_t* codes = q.data() + g * slice_cols;
      uint8_t* dst = out.bytes.data() + g * slice_bytes;
      QC_RETURN_IF_ERROR(i8 ? PackI8(codes, rows, slice_cols, cols, dst, slice_bytes)
                            : PackI4(codes, rows, slice_cols, cols, dst, slice_bytes));
    }
    return out;
  }
  const TwnGranularity g =
      granularity == ir::WeightGranularity::kPerRow ? TwnGranularity::kPerRow : TwnGranularity::kPerTensor;
  QC_ASSIGN_OR_RETURN(std::vector<uint8_t> codes, Ternarize(w, n, k, g, &out.scales));
  const size_t slice_bytes = T2PackedBytes(rows, slice_cols);
  out.bytes.resize(slice_bytes * groups);
  for (size_t s = 0; s < groups; ++s) {
    QC_RETURN_IF_ERROR(
        PackT2(codes.data() + s * slice_cols, rows, slice_cols, cols, out.bytes.data() + s * slice_bytes, slice_bytes));
  }
  return out;
}

Expected<PackedWeight> PackEmbeddingTable(const float* table, int64_t v, int64_t e, ir::WeightBits bits,
                                          ir::DType* dtype) {
  if (v <= 0 || e <= 0) return InvalidArgument("table [" + std::to_string(v) + ", " + std::to_string(e) + "] is empty");
  PackedWeight out;
  QC_ASSIGN_OR_RETURN(out.format, LinearWeightFormat(bits));
  if (bits == ir::WeightBits::kInt8 || bits == ir::WeightBits::kInt4) {
    QC_ASSIGN_OR_RETURN(std::vector<int8_t> q, QuantizeInt(table, v, e, bits, /*per_row=*/true, &out.scales));
    if (bits == ir::WeightBits::kInt8) {
      out.bytes.assign(q.size(), 0);  // dense .qm I8: one two's complement byte per element
      for (size_t i = 0; i < q.size(); ++i) out.bytes[i] = static_cast<uint8_t>(q[i]);
      *dtype = ir::DType::kI8;
    } else {
      out.bytes.assign((q.size() + 1) / 2, 0);  // dense .qm I4: element i in bits 4·(i % 2) of byte i / 2
      for (size_t i = 0; i < q.size(); ++i)
        out.bytes[i / 2] |= static_cast<uint8_t>((static_cast<unsigned>(q[i]) & 0xFu) << (4 * (i % 2)));
      *dtype = ir::DType::kI4;
    }
    return out;
  }
  QC_ASSIGN_OR_RETURN(std::vector<uint8_t> codes, Ternarize(table, v, e, TwnGranularity::kPerRow, &out.scales));
  // Dense .qm T2 storage: element i in bits 2·(i % 4) of byte i / 4.
  out.bytes.assign(T2DenseBytes(static_cast<size_t>(v), static_cast<size_t>(e)), 0);
  for (size_t i = 0; i < codes.size(); ++i) out.bytes[i / 4] |= static_cast<uint8_t>(codes[i] << (2 * (i % 4)));
  *dtype = ir::DType::kT2;
  return out;
}

}  // namespace qc::passes
