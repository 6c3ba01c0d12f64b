// format/qm_quant_rules.h: the .qm rules of the quantized ops (QLinear, QEmbedding, QAttention: format 1.1;
// QAttentionQkv: format 1.2; QLinear act_groups: format 1.3), shared by the writer's ValidateQmSpec and the reader's
// CheckModel so both enforce exactly the same thing.
//
// Overview
//   The file stores enumerated attributes as IntDatum holding the values below (docs/qm-format.md §4, the IR's
//   ir/quant.h enums carry the same numbers; the exporter static_asserts that). A quantized op:
//   * lists its feature in Model.required_features ("op.qlinear@1", "op.qembedding@1", "op.qattention@1",
//     "op.qattentionqkv@1": feature names are lower-case, docs/qm-format.md §7) and raises min_runtime_version to
//     >= QuantizedOpRuntime(type), so an older runtime refuses the file naming the runtime it needs;
//   * has every attribute (the exporter writes the defaults), of the right kind and range;
//   * QLinear: weight is a U8 rank-1 constant of exactly QmPackedWeightBytes(format, N, K, G) bytes, w_scale an F32
//     constant [1] or [N], bias F32 [N], x F32 with last dim K; the optional act_groups G (format 1.3, feature
//     "op.qlinear.act_groups@1", runtime 0.4.0) divides K, and G > 1 needs a dynamic act_granularity;
//   * QEmbedding: table a T2 / I4 / I8 [V, E] constant, scale an F32 constant [V], ids I64 / I32; QAttention:
//     Attention's operands plus act_clip; QAttentionQkv: qkv F32 [B, S, 3H] (3H static, H a multiple of num_heads),
//     an optional mask [B, S], QAttention's attributes.
//   Callers describe operands and attributes through the small structs below; the check returns "" when the op is
//   fine, else the reason (the caller prefixes the op).
//
// Usage
//   std::vector<qc::qm::QOperand> in = ...;                       // one per input slot
//   std::string why = qc::qm::CheckQuantizedOp(type, in, [&](qc::qm::AttrKey k) { return Lookup(k); });
//   if (!why.empty()) return Corrupt(op_text + ": " + why);
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../quant/i4_pack.h"
#include "../quant/i8_pack.h"
#include "../quant/t2_pack.h"
#include "qm_layout.h"
#include "qm_types.h"

namespace qc::qm {

/// The first runtime that executes (and the format minor that introduced) the quantized ops.
inline constexpr RuntimeVersion kQuantizedOpsRuntime{0, 2, 0};
/// The first runtime that executes QAttentionQkv (format 1.2).
inline constexpr RuntimeVersion kQAttentionQkvRuntime{0, 3, 0};

/// The first runtime that executes QLinear's act_groups (format 1.3), and the feature a file using it lists.
inline constexpr RuntimeVersion kActGroupsRuntime{0, 4, 0};
inline constexpr const char* kActGroupsFeature = "op.qlinear.act_groups@1";
/// Most activation groups a QLinear may have (each group costs one GEMM call per run).
inline constexpr int64_t kMaxActGroups = 64;

/// QLinear weight_format values (stored ints; never renumber).
enum class QmWeightFormat : int64_t { kT2R4K128 = 1, kI4 = 2, kI8 = 3 };
/// QLinear act_granularity values.
enum class QmActGranularity : int64_t { kPerToken = 1, kPerTensor = 2, kStatic = 3 };
/// QLinear epilogue values.
enum class QmEpilogue : int64_t { kNone = 0, kGeluErf = 1, kGeluTanh = 2 };

inline bool IsQuantizedOp(OpType type) {
  return type == OpType::QLinear || type == OpType::QEmbedding || type == OpType::QAttention ||
         type == OpType::QAttentionQkv;
}

/// The oldest runtime that executes a quantized op (the min_runtime_version a file using it must carry).
inline RuntimeVersion QuantizedOpRuntime(OpType type) {
  return type == OpType::QAttentionQkv ? kQAttentionQkvRuntime : kQuantizedOpsRuntime;
}

/// The required-feature string of a quantized op, nullptr for the format 1.0 ops.
inline const char* QuantizedOpFeature(OpType type) {
  switch (type) {
    case OpType::QLinear:
      return "op.qlinear@1";
    case OpType::QEmbedding:
      return "op.qembedding@1";
    case OpType::QAttention:
      return "op.qattention@1";
    case OpType::QAttentionQkv:
      return "op.qattentionqkv@1";
    default:
      return nullptr;
  }
}

/// One declaration a file must make for a quantized op: a required feature and the oldest runtime that executes
/// it; `use` says why, for errors (nullptr: the op itself).
struct QuantizedOpNeed {
  const char* feature;
  RuntimeVersion runtime;
  const char* use;
};

/// What a quantized op needs declared: its own feature and runtime (QuantizedOpFeature / QuantizedOpRuntime), then
/// what its optional attributes add (a QLinear with act_groups: kActGroupsFeature, kActGroupsRuntime). `lookup` as
/// in CheckQuantizedOp.
template <typename Lookup>
std::vector<QuantizedOpNeed> QuantizedOpNeeds(OpType type, const Lookup& lookup) {
  std::vector<QuantizedOpNeed> needs = {{QuantizedOpFeature(type), QuantizedOpRuntime(type), nullptr}};
  if (type == OpType::QLinear && lookup(AttrKey::act_groups).present) {
    needs.push_back({kActGroupsFeature, kActGroupsRuntime, "uses act_groups"});
  }
  return needs;
}

/// The error texts that follow the op's name when a need is not declared: the feature is missing, or the declared
/// runtime (`whose`: "file" / "spec") is older than `need.runtime`.
inline std::string UnlistedFeatureText(const QuantizedOpNeed& need) {
  return std::string(" ") + (need.use != nullptr ? need.use : "is used") + " but required_features does not list '" +
         need.feature + "'";
}
inline std::string OldRuntimeText(const QuantizedOpNeed& need, RuntimeVersion declared, const char* whose) {
  return std::string(" ") + (need.use != nullptr ? std::string(need.use) + ", which needs" : "needs") +
         " min_runtime_version >= " + need.runtime.ToString() + ", " + whose + " says " + declared.ToString();
}

/// Packed bytes of an [n, k] QLinear weight in `format`; 0 for a format this build has no layout for (or n, k <= 0).
/// T2 is quant/t2_pack.h's T2PackedBytes, I4 / I8 quant/i4_pack.h / i8_pack.h's I4PackedBytes / I8PackedBytes.
/// With `groups` G > 1 (act_groups) the weight is G column slices [n, k/G], each packed on its own, back to back.
inline uint64_t QmPackedWeightBytes(int64_t format, int64_t n, int64_t k, int64_t groups = 1) {
  if (groups < 1 || groups > kMaxActGroups || k % groups != 0) return 0;
  if (groups > 1) return static_cast<uint64_t>(groups) * QmPackedWeightBytes(format, n, k / groups);
  if (n <= 0 || k <= 0 || n > kMaxDimSize || k > kMaxDimSize) return 0;
  if (format == static_cast<int64_t>(QmWeightFormat::kT2R4K128)) {
    if (static_cast<uint64_t>(k) > kT2MaxK) return 0;
    return T2PackedBytes(static_cast<size_t>(n), static_cast<size_t>(k));
  }
  if (format == static_cast<int64_t>(QmWeightFormat::kI4)) {
    if (static_cast<uint64_t>(k) > kI4MaxK) return 0;
    return I4PackedBytes(static_cast<size_t>(n), static_cast<size_t>(k));
  }
  if (format == static_cast<int64_t>(QmWeightFormat::kI8)) {
    if (static_cast<uint64_t>(k) > kI8MaxK) return 0;
    return I8PackedBytes(static_cast<size_t>(n), static_cast<size_t>(k));
  }
  return 0;
}

/// One op input as the rules see it.
struct QOperand {
  bool present = false;       ///< false for an absent optional input
  DType dtype = DType::Invalid;
  std::vector<int64_t> dims;  ///< < 0 = symbolic
  bool is_constant = false;
};

/// One attribute as the rules see it.
struct QAttr {
  bool present = false;
  DatumKind kind = DatumKind::kInt;
  int64_t i = 0;   ///< when kind == kInt
  double f = 0.0;  ///< when kind == kFloat
};

namespace internal {

inline std::string DimsText(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    s += (i > 0 ? ", " : "") + (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  }
  return s + "]";
}

inline std::string OperandText(const char* name, const QOperand& o) {
  return std::string("input '") + name + "' (" + DTypeName(o.dtype) + DimsText(o.dims) + ")";
}

// Reads an attribute of a fixed kind into *out; "" or the reason.
template <typename Lookup>
std::string GetQAttr(const Lookup& lookup, AttrKey key, DatumKind kind, QAttr* out) {
  *out = lookup(key);
  if (!out->present) return "attribute '" + AttrKeyName(key) + "' is missing";
  if (out->kind != kind) {
    return "attribute '" + AttrKeyName(key) + "' is " + DatumKindPhrase(out->kind) + ", expected " +
           DatumKindPhrase(kind);
  }
  return "";
}

inline bool ValidClip(double clip) {
  return clip == 0 || (std::isfinite(clip) && clip > 0);
}

}  // namespace internal

/// "" when a quantized op's operands and attributes follow the rules, else the reason. `inputs` has one entry per
/// input slot the op has; `lookup(key)` returns the attribute (present = false when absent).
template <typename Lookup>
std::string CheckQuantizedOp(OpType type, const std::vector<QOperand>& inputs, const Lookup& lookup) {
  using internal::GetQAttr;
  using internal::OperandText;
  const auto has = [&](size_t k) { return k < inputs.size() && inputs[k].present; };
  QAttr a;
  std::string why;
  if (type == OpType::QLinear) {
    if (inputs.size() < 3 || inputs.size() > 4 || !has(0) || !has(1) || !has(2)) {
      return "takes inputs x, weight, w_scale and an optional bias";
    }
    if (!(why = GetQAttr(lookup, AttrKey::weight_format, DatumKind::kInt, &a)).empty()) return why;
    const int64_t format = a.i;
    if (format < 1 || format > 3) return "attribute 'weight_format' = " + std::to_string(format) + " is not 1, 2 or 3";
    if (!(why = GetQAttr(lookup, AttrKey::in_features, DatumKind::kInt, &a)).empty()) return why;
    const int64_t k = a.i;
    if (!(why = GetQAttr(lookup, AttrKey::out_features, DatumKind::kInt, &a)).empty()) return why;
    const int64_t n = a.i;
    if (k <= 0 || n <= 0) return "in_features and out_features must be > 0";
    if (!(why = GetQAttr(lookup, AttrKey::act_granularity, DatumKind::kInt, &a)).empty()) return why;
    const int64_t granularity = a.i;
    if (granularity < 1 || granularity > 3) {
      return "attribute 'act_granularity' = " + std::to_string(granularity) + " is not 1, 2 or 3";
    }
    if (!(why = GetQAttr(lookup, AttrKey::act_clip, DatumKind::kFloat, &a)).empty()) return why;
    if (!internal::ValidClip(a.f)) return "attribute 'act_clip' must be 0 (none) or finite and > 0";
    if (!(why = GetQAttr(lookup, AttrKey::act_amax, DatumKind::kFloat, &a)).empty()) return why;
    const bool is_static = granularity == static_cast<int64_t>(QmActGranularity::kStatic);
    if (is_static && !(std::isfinite(a.f) && a.f > 0)) return "static activation scale needs act_amax finite and > 0";
    if (!is_static && a.f != 0) return "attribute 'act_amax' must be 0 unless act_granularity is static";
    if (!(why = GetQAttr(lookup, AttrKey::epilogue, DatumKind::kInt, &a)).empty()) return why;
    if (a.i < 0 || a.i > 2) return "attribute 'epilogue' = " + std::to_string(a.i) + " is not 0, 1 or 2";
    int64_t groups = 1;
    if (lookup(AttrKey::act_groups).present) {
      if (!(why = GetQAttr(lookup, AttrKey::act_groups, DatumKind::kInt, &a)).empty()) return why;
      groups = a.i;
      if (groups < 2 || groups > kMaxActGroups || k % groups != 0) {
        return "attribute 'act_groups' = " + std::to_string(groups) + " must be in [2, " +
               std::to_string(kMaxActGroups) + "] and divide in_features " + std::to_string(k) +
               " (omit it for one group)";
      }
      if (is_static) return "attribute 'act_groups' needs a dynamic act_granularity (static has one act_amax)";
    }

    const QOperand& x = inputs[0];
    if (x.dtype != DType::F32 || x.dims.empty() || x.dims.back() != k) {
      return OperandText("x", x) + " must be F32 with last dimension in_features = " + std::to_string(k);
    }
    const uint64_t bytes = QmPackedWeightBytes(format, n, k, groups);
    if (bytes == 0) {
      return "weight_format " + std::to_string(format) + " with [" + std::to_string(n) + ", " + std::to_string(k) +
             "] has no packed layout in this runtime";
    }
    const std::string groups_text = groups > 1 ? " in " + std::to_string(groups) + " column groups" : "";
    const QOperand& w = inputs[1];
    if (!w.is_constant || w.dtype != DType::U8 || w.dims.size() != 1 || w.dims[0] != static_cast<int64_t>(bytes)) {
      return OperandText("weight", w) + " must be a U8 constant of exactly " + std::to_string(bytes) +
             " bytes (the packed [" + std::to_string(n) + ", " + std::to_string(k) + "] weight" + groups_text + ")";
    }
    const QOperand& s = inputs[2];
    if (!s.is_constant || s.dtype != DType::F32 || s.dims.size() != 1 || (s.dims[0] != 1 && s.dims[0] != n)) {
      return OperandText("w_scale", s) + " must be an F32 constant [1] or [" + std::to_string(n) + "]";
    }
    if (has(3) && (inputs[3].dtype != DType::F32 || inputs[3].dims != std::vector<int64_t>{n})) {
      return OperandText("bias", inputs[3]) + " must be F32 [" + std::to_string(n) + "]";
    }
    return "";
  }
  if (type == OpType::QEmbedding) {
    if (inputs.size() != 3 || !has(0) || !has(1) || !has(2)) return "takes inputs ids, table and scale";
    const QOperand& ids = inputs[0];
    if (ids.dtype != DType::I64 && ids.dtype != DType::I32) return OperandText("ids", ids) + " must be I64 or I32";
    const QOperand& t = inputs[1];
    if (!t.is_constant || (t.dtype != DType::T2 && t.dtype != DType::I4 && t.dtype != DType::I8) ||
        t.dims.size() != 2) {
      return OperandText("table", t) + " must be a T2, I4 or I8 constant [V, E]";
    }
    const QOperand& s = inputs[2];
    if (!s.is_constant || s.dtype != DType::F32 || s.dims != std::vector<int64_t>{t.dims[0]}) {
      return OperandText("scale", s) + " must be an F32 constant [" + std::to_string(t.dims[0]) + "]";
    }
    return "";
  }
  if (type == OpType::QAttention) {
    if (inputs.size() < 3 || inputs.size() > 4 || !has(0) || !has(1) || !has(2)) {
      return "takes inputs q, k, v and an optional attention_mask";
    }
    if (!(why = GetQAttr(lookup, AttrKey::num_heads, DatumKind::kInt, &a)).empty()) return why;
    if (a.i <= 0) return "attribute 'num_heads' must be > 0";
    if (!(why = GetQAttr(lookup, AttrKey::scale, DatumKind::kFloat, &a)).empty()) return why;
    if (!(std::isfinite(a.f) && a.f > 0)) return "attribute 'scale' must be finite and > 0";
    if (!(why = GetQAttr(lookup, AttrKey::act_clip, DatumKind::kFloat, &a)).empty()) return why;
    if (!internal::ValidClip(a.f)) return "attribute 'act_clip' must be 0 (none) or finite and > 0";
    for (size_t i = 0; i < 3; ++i) {
      if (inputs[i].dtype != DType::F32 || inputs[i].dims.size() != 3) {
        static const char* const kNames[] = {"q", "k", "v"};
        return OperandText(kNames[i], inputs[i]) + " must be F32 of rank 3";
      }
    }
    return "";
  }
  if (type == OpType::QAttentionQkv) {
    if (inputs.empty() || inputs.size() > 2 || !has(0)) return "takes inputs qkv and an optional attention_mask";
    if (!(why = GetQAttr(lookup, AttrKey::num_heads, DatumKind::kInt, &a)).empty()) return why;
    const int64_t heads = a.i;
    if (heads <= 0) return "attribute 'num_heads' must be > 0";
    if (!(why = GetQAttr(lookup, AttrKey::scale, DatumKind::kFloat, &a)).empty()) return why;
    if (!(std::isfinite(a.f) && a.f > 0)) return "attribute 'scale' must be finite and > 0";
    if (!(why = GetQAttr(lookup, AttrKey::act_clip, DatumKind::kFloat, &a)).empty()) return why;
    if (!internal::ValidClip(a.f)) return "attribute 'act_clip' must be 0 (none) or finite and > 0";
    // q, k and v are column ranges [0, H), [H, 2H), [2H, 3H) of the last dimension.
    const QOperand& qkv = inputs[0];
    if (qkv.dtype != DType::F32 || qkv.dims.size() != 3 || qkv.dims[2] <= 0 || qkv.dims[2] % 3 != 0 ||
        (qkv.dims[2] / 3) % heads != 0) {
      return OperandText("qkv", qkv) + " must be F32 [batch, sequence, 3·H] with a fixed last dimension 3·H, H a " +
             "multiple of num_heads " + std::to_string(heads);
    }
    if (has(1)) {
      const QOperand& m = inputs[1];
      if ((m.dtype != DType::I64 && m.dtype != DType::I32 && m.dtype != DType::F32) || m.dims.size() != 2) {
        return OperandText("attention_mask", m) + " must be I64, I32 or F32 [batch, sequence]";
      }
    }
    return "";
  }
  return "";
}

}  // namespace qc::qm
