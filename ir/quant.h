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
//
//   The quantized ops (QLinear, QEmbedding, QAttention, QAttentionQkv; docs/ir.md, docs/quantization.md "Quantized
//   ops") store their enumerated attributes as ints holding QWeightFormat / QActGranularity / QEpilogue values; read
//   them with the ...FromInt functions, which range-check. QWeightPackedBytes is the IR's copy of the packed byte
//   counts.
//
//   QC_ASSIGN_OR_RETURN(int64_t raw, node.attributes.GetInt(qc::ir::AttrName::kWeightFormat, owner));
//   QC_ASSIGN_OR_RETURN(qc::ir::QWeightFormat format, qc::ir::QWeightFormatFromInt(raw, owner));
//   QC_ASSIGN_OR_RETURN(int64_t bytes, qc::ir::QWeightPackedBytes(format, n, k, owner));
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
  /// Per-embedding-group scales (PEG): the last axis splits into `groups` equal parts, each with its own scale per
  /// token or per tensor (docs/quantization.md). 1 = one scale; > 1 needs a dynamic mode and is only executed by
  /// QLinear (its in_features must be a multiple).
  int64_t groups = 1;
  friend bool operator==(const ActivationQuant& a, const ActivationQuant& b) {
    return a.bits == b.bits && a.mode == b.mode && a.clip == b.clip && a.groups == b.groups;
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

/// Enum values in range; group_size > 0 iff per_group; clip finite and > 0; activation groups in [1, 64] and 1 for
/// static scales. Errors start with `owner`.
Status ValidateQuantAnnotation(const QuantAnnotation& annotation, std::string_view owner);

/// "w=t2/per_row a=i8/dynamic_per_token/clip=2.5"; per_group adds "/group=64", activation groups "/groups=3"; an
/// empty annotation prints "".
std::string ToString(const QuantAnnotation& annotation);

// ---- Quantized ops --------------------------------------------------------------------------------------------------
// The values are the stored attribute values (and the .qm attribute values): never renumber.

/// QLinear `weight_format`: the kernel layout of the u8 weight bytes (the runtime mmaps them and never repacks).
enum class QWeightFormat : int64_t {
  kT2R4K128 = 1,  ///< ternary codes, runtime/quant/t2_pack.h ("t2_r4k128")
  kI4 = 2,        ///< int4 [-7, 7], runtime/quant/i4_pack.h ("i4")
  kI8 = 3,        ///< int8 [-127, 127], runtime/quant/i8_pack.h ("i8")
};
/// QLinear `act_granularity`: how the activation rows are quantized to int8 (docs/quantization.md §3).
enum class QActGranularity : int64_t {
  kPerToken = 1,   ///< one scale per row of the [M, K] input (the default)
  kPerTensor = 2,  ///< one scale for the whole [M, K] block
  kStatic = 3,     ///< amax fixed at export (`act_amax`)
};
/// QLinear `epilogue`: applied to the dequantized, biased output.
enum class QEpilogue : int64_t { kNone = 0, kGeluErf = 1, kGeluTanh = 2 };

/// "t2_r4k128", "i4", "i8" / "per_token", "per_tensor", "static" / "none", "gelu_erf", "gelu_tanh";
/// "invalid" outside the enums.
std::string_view QWeightFormatName(QWeightFormat format);
std::string_view QActGranularityName(QActGranularity granularity);
std::string_view QEpilogueName(QEpilogue epilogue);
/// Range-checked conversions from stored attribute values; errors start with `owner` and name the attribute.
Expected<QWeightFormat> QWeightFormatFromInt(int64_t value, std::string_view owner);
Expected<QActGranularity> QActGranularityFromInt(int64_t value, std::string_view owner);
Expected<QEpilogue> QEpilogueFromInt(int64_t value, std::string_view owner);

/// Bytes of an [n, k] weight packed in `format` (n, k > 0). An error for a format whose layout this build does not
/// define yet, or for sizes that overflow.
Expected<int64_t> QWeightPackedBytes(QWeightFormat format, int64_t n, int64_t k, std::string_view owner);
/// Most activation groups (QLinear act_groups; the runtime's kMaxActGroups).
inline constexpr int64_t kMaxActGroups = 64;
/// A QLinear weight with `groups` activation groups: `groups` column slices [n, k / groups], each packed on its own,
/// back to back. `groups` must be in [1, kMaxActGroups] and divide k.
Expected<int64_t> QWeightPackedBytes(QWeightFormat format, int64_t n, int64_t k, int64_t groups,
                                     std::string_view owner);
/// Largest K a format's int32 accumulation allows (t2: 2^23 kT2MaxK, i4: 2^20 kI4MaxK, i8: 2^16 kI8MaxK).
int64_t QWeightMaxK(QWeightFormat format);

}  // namespace qc::ir
