#include "ir/op_schema.h"

#include <array>
#include <string>

#include "ir/quant.h"

namespace qc::ir {
namespace {

AttrSpec Required(AttrName name) {
  return {name, true, AttrValue{}};
}
AttrSpec Optional(AttrName name, AttrValue default_value) {
  return {name, false, std::move(default_value)};
}

OpSchema MakeSchema(OpType op) {
  using A = AttrName;
  switch (op) {  // no default: -Wswitch flags an op added to op_types.inc but not here
    case OpType::kEmbedding:
      return {{"ids", "table"}, {}, 1};
    case OpType::kAddPositionEmbedding:
      return {{"x", "table"}, {Optional(A::kOffset, int64_t{0})}, -1};
    case OpType::kAdd:
    case OpType::kSub:
    case OpType::kMul:
      return {{"a", "b"}, {}, -1};
    case OpType::kLayerNorm:
      return {{"x", "gamma", "beta"}, {Required(A::kEpsilon), Optional(A::kAxis, int64_t{-1})}, -1};
    case OpType::kLinear:
      return {{"x", "weight", "bias"}, {}, 1};
    case OpType::kGelu:
      return {{"x"}, {Optional(A::kApproximate, static_cast<int64_t>(GeluApproximation::kNone))}, -1};
    case OpType::kTanh:
    case OpType::kRelu:
      return {{"x"}, {}, -1};
    case OpType::kSoftmax:
      return {{"x"}, {Optional(A::kAxis, int64_t{-1})}, -1};
    case OpType::kAttention:
      return {{"q", "k", "v", "attention_mask"},
              {Required(A::kNumHeads), Required(A::kScale), Optional(A::kMaskFill, -10000.0)},
              -1};
    case OpType::kSelectToken:
      return {{"x"}, {Optional(A::kIndex, int64_t{0})}, -1};
    case OpType::kMeanPool:
      return {{"x", "mask"}, {}, -1};
    case OpType::kL2Normalize:
      return {{"x"}, {Optional(A::kAxis, int64_t{-1}), Optional(A::kEpsilon, 1e-12)}, -1};
    case OpType::kPatchEmbed:
      return {{"pixels", "weight", "bias"}, {Required(A::kPatch)}, 1};
    case OpType::kPrependToken:
      return {{"x", "token"}, {}, -1};
    // The quantized ops carry their weight format in attributes; a WeightQuant annotation does not apply (-1).
    case OpType::kQLinear:
      return {{"x", "weight", "w_scale", "bias"},
              {Required(A::kWeightFormat), Required(A::kInFeatures), Required(A::kOutFeatures),
               Optional(A::kActGranularity, static_cast<int64_t>(QActGranularity::kPerToken)),
               Optional(A::kActClip, 0.0), Optional(A::kActAmax, 0.0),
               Optional(A::kEpilogue, static_cast<int64_t>(QEpilogue::kNone)), Optional(A::kActGroups, int64_t{1})},
              -1};
    case OpType::kQEmbedding:
      return {{"ids", "table", "scale"}, {}, -1};
    case OpType::kQAttention:
      return {{"q", "k", "v", "attention_mask"},
              {Required(A::kNumHeads), Required(A::kScale), Optional(A::kMaskFill, -10000.0),
               Optional(A::kActClip, 0.0)},
              -1};
    case OpType::kQAttentionQkv:
      return {
          {"qkv", "attention_mask"},
          {Required(A::kNumHeads), Required(A::kScale), Optional(A::kMaskFill, -10000.0), Optional(A::kActClip, 0.0)},
          -1};
  }
  return {};
}

const std::array<OpSchema, kNumOpTypes>& AllSchemas() {
  static const std::array<OpSchema, kNumOpTypes> schemas = [] {
    std::array<OpSchema, kNumOpTypes> table;
    for (size_t i = 0; i < kNumOpTypes; ++i) table[i] = MakeSchema(static_cast<OpType>(i));
    return table;
  }();
  return schemas;
}

const AttrSpec* FindSpec(const OpSchema& schema, AttrName name) {
  for (const AttrSpec& spec : schema.attributes) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

const OpSchema& GetOpSchema(OpType op) {
  static const OpSchema kEmpty;
  return IsValidOpType(op) ? AllSchemas()[static_cast<size_t>(op)] : kEmpty;
}

std::string InputLabel(OpType op, size_t index) {
  const OpSchema& schema = GetOpSchema(op);
  std::string label = "input " + std::to_string(index);
  if (index < schema.input_names.size()) label += " '" + std::string(schema.input_names[index]) + "'";
  return label;
}

Status CheckAttributes(OpType op, const Attributes& attributes, std::string_view owner, AttributePresence presence) {
  const OpSchema& schema = GetOpSchema(op);
  for (const auto& [name, value] : attributes) {
    if (FindSpec(schema, name) == nullptr) {
      return InvalidArgument(std::string(owner) + ": " + std::string(OpTypeName(op)) + " takes no attribute '" +
                             std::string(AttrNameText(name)) + "'");
    }
    QC_RETURN_IF_ERROR(CheckAttrValue(name, value, owner));
  }
  for (const AttrSpec& spec : schema.attributes) {
    if (attributes.Has(spec.name)) continue;
    if (spec.required) {
      return InvalidArgument(std::string(owner) + ": required attribute '" + std::string(AttrNameText(spec.name)) +
                             "' is missing");
    }
    if (presence == AttributePresence::kAll) {
      return InvalidArgument(std::string(owner) + ": attribute '" + std::string(AttrNameText(spec.name)) +
                             "' is missing (built nodes carry every attribute; the builder fills defaults)");
    }
  }
  return Status::Ok();
}

Expected<Attributes> ApplyAttributeDefaults(OpType op, Attributes attributes, std::string_view owner) {
  for (const AttrSpec& spec : GetOpSchema(op).attributes) {
    if (!spec.required && !attributes.Has(spec.name)) attributes.Set(spec.name, spec.default_value);
  }
  QC_RETURN_IF_ERROR(CheckAttributes(op, attributes, owner, AttributePresence::kAll));
  return attributes;
}

}  // namespace qc::ir
