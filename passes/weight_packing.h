// passes/weight_packing.h: float weights -> the packed bytes and scales the quantized ops store.
//
// Overview
//   Thin adapters over the runtime's quantizers and packers (runtime/quant/*.h): the arithmetic (TWN thresholds and
//   α, int8/int4 scales, rounding) and the layouts are defined there once and used by both the runtime and the
//   compressor. These functions only arrange inputs and outputs:
//     PackLinearWeight    W [n, k] -> QLinear weight bytes (kernel layout of the format) + w_scale [1] or [n],
//                         in act_groups column slices when the activations have per-group scales
//     PackEmbeddingTable  T [v, e] -> QEmbedding table in dense .qm storage (t2 / i4 / i8) + row scales [v]
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::passes::PackedWeight p,
//                       qc::passes::PackLinearWeight(w.data(), n, k, qc::ir::WeightBits::kTernary,
//                                                    qc::ir::WeightGranularity::kPerTensor));
#pragma once

#include <cstdint>
#include <vector>

#include "ir/quant.h"
#include "ir/tensor.h"
#include "qcompress/status.h"

namespace qc::passes {

struct PackedWeight {
  ir::QWeightFormat format = ir::QWeightFormat::kT2R4K128;
  std::vector<uint8_t> bytes;  ///< kernel layout (QLinear) or dense storage (QEmbedding)
  std::vector<float> scales;   ///< [1] per tensor, [rows] per row
};

/// The QLinear weight format for a bit width (kFloat32 is an error).
Expected<ir::QWeightFormat> LinearWeightFormat(ir::WeightBits bits);

/// `act_groups` G > 1 (per-embedding-group activation scales): the codes and scales are those of the whole
/// matrix, and the bytes are G column slices [n, k/G], each packed on its own, back to back (G must divide k).
Expected<PackedWeight> PackLinearWeight(const float* w, int64_t n, int64_t k, ir::WeightBits bits,
                                        ir::WeightGranularity granularity, int64_t act_groups = 1);

/// Row-wise quantized table; `dtype` gets the .qm dense storage type (kT2, kI4 or kI8).
Expected<PackedWeight> PackEmbeddingTable(const float* table, int64_t v, int64_t e, ir::WeightBits bits,
                                          ir::DType* dtype);

}  // namespace qc::passes
