#include "passes/weight_packing.h"

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

Status NotInBuild(ir::WeightBits bits) {
  return Unsupported(std::string(ir::WeightBitsName(bits)) +
                     " weights: this build has no packed layout for them yet (runtime/quant/i4_pack.h, i8_pack.h)");
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
                                        ir::WeightGranularity granularity) {
  if (n <= 0 || k <= 0) return InvalidArgument("weight [" + std::to_string(n) + ", " + std::to_string(k) + "] is empty");
  if (granularity == ir::WeightGranularity::kPerGroup) {
    return Unsupported("per-group weight scales are not supported by QLinear (per tensor or per row)");
  }
  PackedWeight out;
  QC_ASSIGN_OR_RETURN(out.format, LinearWeightFormat(bits));
  if (bits != ir::WeightBits::kTernary) return NotInBuild(bits);
  const TwnGranularity g =
      granularity == ir::WeightGranularity::kPerRow ? TwnGranularity::kPerRow : TwnGranularity::kPerTensor;
  QC_ASSIGN_OR_RETURN(std::vector<uint8_t> codes, Ternarize(w, n, k, g, &out.scales));
  out.bytes.resize(T2PackedBytes(static_cast<size_t>(n), static_cast<size_t>(k)));
  QC_RETURN_IF_ERROR(PackT2(codes.data(), static_cast<size_t>(n), static_cast<size_t>(k), static_cast<size_t>(k),
                            out.bytes.data(), out.bytes.size()));
  return out;
}

Expected<PackedWeight> PackEmbeddingTable(const float* table, int64_t v, int64_t e, ir::WeightBits bits,
                                          ir::DType* dtype) {
  if (v <= 0 || e <= 0) return InvalidArgument("table [" + std::to_string(v) + ", " + std::to_string(e) + "] is empty");
  PackedWeight out;
  QC_ASSIGN_OR_RETURN(out.format, LinearWeightFormat(bits));
  if (bits != ir::WeightBits::kTernary) return NotInBuild(bits);
  QC_ASSIGN_OR_RETURN(std::vector<uint8_t> codes, Ternarize(table, v, e, TwnGranularity::kPerRow, &out.scales));
  // Dense .qm T2 storage: element i in bits 2·(i % 4) of byte i / 4.
  out.bytes.assign(T2DenseBytes(static_cast<size_t>(v), static_cast<size_t>(e)), 0);
  for (size_t i = 0; i < codes.size(); ++i) out.bytes[i / 4] |= static_cast<uint8_t>(codes[i] << (2 * (i % 4)));
  *dtype = ir::DType::kT2;
  return out;
}

}  // namespace qc::passes
