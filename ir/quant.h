// ir/quant.h: quantization annotations that passes attach to nodes.
//
// Overview
//   A `QuantAnnotation` records the decision for one node: how its weight input is quantized (bits, granularity)
//   and how its activation input is quantized (bits, static or dynamic scale, optional clip). Importers leave it
//   empty; the quantization passes fill it; QAT and the exporter read it. It describes intent, not packed data: the
//   weight Tensor stays f32 until the packing pass replaces it. The exact arithmetic (TWN threshold and alpha,
//   rounding, scale formulas, which activation each op quantizes) is defined in docs/quantization.md.
//
//   Everything is an enum, so "ternary" can never be misspelled. Bit widths are enums whose values equal the bits.
//
// Usage
//   qc::ir::QuantAnnotation q;
//   q.weight = qc::ir::WeightQuant{qc::ir::WeightBits::kTernary, qc::ir::WeightGranularity::kPerRow, 0};
//   q.activation = qc::ir::ActivationQuant{qc::ir::ActivationBits::kInt8,
//                                          qc::ir::ActivationMode::kDynamicPerToken, 2.5};
//   QC_RETURN_IF_ERROR(qc::ir::ValidateQuantAnnotation(q, node.Describe()));
//   qc::ir::ToString(q);   // "w=t2/per_row a=i8/dynamic_per_token/clip=2.5"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "qcompress/status.h"

namespace qc::ir {

/// Weight bit width; kTernary is TWN ternary {-alpha, 0, +alpha} in 2-bit codes, kFloat32 means "keep float".
enum class WeightBits : uint8_t { kTernary = 2, kInt4 = 4, kInt8 = 8, kFloat32 = 32 };
/// One scale per tensor, per output row, or per group of `group_size` consecutive input elements of a row.
enum class WeightGranularity : uint8_t { kPerTensor, kPerRow, kPerGroup };
enum class ActivationBits : uint8_t { kInt8 = 8, kInt16 = 16, kFloat32 = 32 };
/// Static: a scale fixed at export (from calibration or training). Dynamic: computed at run time per tensor or per
/// token (row of the last axis).
enum class ActivationMode : uint8_t { kStatic, kDynamicPerTensor, kDynamicPerToken };

struct WeightQuant {
  WeightBits bits = WeightBits::kFloat32;
  WeightGranularity granularity = WeightGranularity::kPerTensor;
  int64_t group_size = 0;  ///< > 0 exactly when granularity is kPerGroup
  friend bool operator==(const WeightQuant& a, const WeightQuant& b) {
    return a.bits == b.bits && a.granularity == b.granularity && a.group_size == b.group_size;
  }
};

struct ActivationQuant {
  ActivationBits bits = ActivationBits::kFloat32;
  ActivationMode mode = ActivationMode::kDynamicPerTensor;
  std::optional<double> clip;  ///< symmetric clip range [-clip, clip] (> 0) applied before quantizing, if set
  friend bool operator==(const ActivationQuant& a, const ActivationQuant& b) {
    return a.bits == b.bits && a.mode == b.mode && a.clip == b.clip;
  }
};

struct QuantAnnotation {
  std::optional<WeightQuant> weight;
  std::optional<ActivationQuant> activation;
  friend bool operator==(const QuantAnnotation& a, const QuantAnnotation& b) {
    return a.weight == b.weight && a.activation == b.activation;
  }
  friend bool operator!=(const QuantAnnotation& a, const QuantAnnotation& b) { return !(a == b); }
};

/// Names: "t2", "i4", "i8", "f32" / "per_tensor", "per_row", "per_group" / "i8", "i16", "f32" /
/// "static", "dynamic_per_tensor", "dynamic_per_token". "invalid" for values outside the enums.
std::string_view WeightBitsName(WeightBits bits);
std::string_view WeightGranularityName(WeightGranularity granularity);
std::string_view ActivationBitsName(ActivationBits bits);
std::string_view ActivationModeName(ActivationMode mode);
Expected<WeightBits> ParseWeightBits(std::string_view text);
Expected<WeightGranularity> ParseWeightGranularity(std::string_view text);
Expected<ActivationBits> ParseActivationBits(std::string_view text);
Expected<ActivationMode> ParseActivationMode(std::string_view text);

/// Enum values in range; group_size > 0 iff per_group; clip finite and > 0. Errors start with `owner`.
Status ValidateQuantAnnotation(const QuantAnnotation& annotation, std::string_view owner);

/// "w=t2/per_row a=i8/dynamic_per_token/clip=2.5"; per_group adds "/group=64"; an empty annotation prints "".
std::string ToString(const QuantAnnotation& annotation);

}  // namespace qc::ir
