#include "exec/plan.h"

#include <limits>

#include "format/qm_quant_rules.h"

namespace qc::exec {
namespace {

Expected<ValueType> ToValueType(qm::DType dtype, const std::string& what) {
  switch (dtype) {
    case qm::DType::F32: return ValueType::kF32;
    case qm::DType::I64: return ValueType::kI64;
    case qm::DType::I32: return ValueType::kI32;
    case qm::DType::U8:
    case qm::DType::T2:
    case qm::DType::I4:
    case qm::DType::I8: return ValueType::kPacked;
    default:
      return Unsupported(what + " has element type " + qm::DTypeName(dtype) +
                         ", which this runtime does not execute yet");
  }
}

// Arity and the input positions that must be constants (weights), per op type.
struct OpShapeRule {
  size_t min_inputs;
  size_t max_inputs;
  std::vector<size_t> constant_inputs;
};

Expected<OpShapeRule> RuleFor(qm::OpType type) {
  using T = qm::OpType;
  switch (type) {
    case T::Embedding: return OpShapeRule{2, 2, {1}};
    case T::AddPositionEmbedding: return OpShapeRule{2, 2, {1}};
    case T::Add:
    case T::Sub:
    case T::Mul: return OpShapeRule{2, 2, {}};
    case T::LayerNorm: return OpShapeRule{3, 3, {1, 2}};
    case T::Linear: return OpShapeRule{2, 3, {1, 2}};
    case T::Gelu:
    case T::Tanh:
    case T::Relu:
    case T::Softmax: return OpShapeRule{1, 1, {}};
    case T::Attention: return OpShapeRule{3, 4, {}};
    case T::SelectToken: return OpShapeRule{1, 1, {}};
    case T::MeanPool: return OpShapeRule{1, 2, {}};
    case T::L2Normalize: return OpShapeRule{1, 1, {}};
    case T::PatchEmbed: return OpShapeRule{2, 3, {1, 2}};
    case T::PrependToken: return OpShapeRule{2, 2, {1}};
    // The reader has checked the quantized ops' operand dtypes and shapes (format/qm_quant_rules.h).
    case T::QLinear: return OpShapeRule{3, 4, {1, 2}};
    case T::QEmbedding: return OpShapeRule{3, 3, {1, 2}};
    case T::QAttention: return OpShapeRule{3, 4, {}};
    case T::QAttentionQkv: return OpShapeRule{1, 2, {}};
    default: return Unsupported("op type " + qm::OpTypeName(type) + " is not executed by this runtime");
  }
}

Status DecodeAttrs(const qm::QmOp& op, OpAttrs& a) {
  using K = qm::AttrKey;
  using T = qm::OpType;
  auto get_float = [&](K key, double& out) -> Status {
    QC_ASSIGN_OR_RETURN(out, op.GetFloat(key));
    return Status::Ok();
  };
  auto get_int = [&](K key, int64_t& out) -> Status {
    QC_ASSIGN_OR_RETURN(out, op.GetInt(key));
    return Status::Ok();
  };
  auto optional_int = [&](K key, int64_t& out) -> Status {
    if (!op.FindAttr(key)) return Status::Ok();
    return get_int(key, out);
  };
  switch (op.type()) {
    case T::LayerNorm:
      QC_RETURN_IF_ERROR(get_float(K::epsilon, a.epsilon));
      if (a.epsilon <= 0) return InvalidArgument(op.Describe() + ": epsilon must be positive");
      return Status::Ok();
    case T::L2Normalize:
      QC_RETURN_IF_ERROR(get_float(K::epsilon, a.epsilon));
      return optional_int(K::axis, a.axis);
    case T::Softmax: return optional_int(K::axis, a.axis);
    case T::Gelu:
      QC_RETURN_IF_ERROR(optional_int(K::approximate, a.approximate));
      if (a.approximate != 0 && a.approximate != 1) {
        return InvalidArgument(op.Describe() + ": approximate must be 0 (erf) or 1 (tanh)");
      }
      return Status::Ok();
    case T::Attention:
      QC_RETURN_IF_ERROR(get_int(K::num_heads, a.num_heads));
      QC_RETURN_IF_ERROR(get_float(K::scale, a.scale));
      if (op.FindAttr(K::mask_fill)) QC_RETURN_IF_ERROR(get_float(K::mask_fill, a.mask_fill));
      if (a.num_heads <= 0) return InvalidArgument(op.Describe() + ": num_heads must be positive");
      return Status::Ok();
    case T::SelectToken: return optional_int(K::index, a.index);
    case T::AddPositionEmbedding:
      QC_RETURN_IF_ERROR(optional_int(K::offset, a.offset));
      if (a.offset < 0) return InvalidArgument(op.Describe() + ": offset must be >= 0");
      return Status::Ok();
    case T::PatchEmbed:
      QC_RETURN_IF_ERROR(get_int(K::patch, a.patch));
      if (a.patch <= 0) return InvalidArgument(op.Describe() + ": patch must be positive");
      return Status::Ok();
    case T::QLinear:  // ranges checked by the reader (format/qm_quant_rules.h)
      QC_RETURN_IF_ERROR(get_int(K::weight_format, a.weight_format));
      QC_RETURN_IF_ERROR(get_int(K::in_features, a.in_features));
      QC_RETURN_IF_ERROR(get_int(K::out_features, a.out_features));
      QC_RETURN_IF_ERROR(get_int(K::act_granularity, a.act_granularity));
      QC_RETURN_IF_ERROR(get_float(K::act_clip, a.act_clip));
      QC_RETURN_IF_ERROR(get_float(K::act_amax, a.act_amax));
      QC_RETURN_IF_ERROR(optional_int(K::act_groups, a.act_groups));
      return get_int(K::epilogue, a.epilogue);
    case T::QAttention:
    case T::QAttentionQkv:
      QC_RETURN_IF_ERROR(get_int(K::num_heads, a.num_heads));
      QC_RETURN_IF_ERROR(get_float(K::scale, a.scale));
      if (op.FindAttr(K::mask_fill)) QC_RETURN_IF_ERROR(get_float(K::mask_fill, a.mask_fill));
      return get_float(K::act_clip, a.act_clip);
    default: return Status::Ok();
  }
}

}  // namespace

const std::vector<std::string_view>& SupportedFeatures() {
  static const std::vector<std::string_view> features = {"op.qattention@1", "op.qattentionqkv@1", "op.qembedding@1",
                                                         "op.qlinear.act_groups@1", "op.qlinear@1"};
  return features;
}

Expected<Plan> BuildPlan(const qm::QmFile& file) {
  QC_RETURN_IF_ERROR(file.CheckRequiredFeatures(SupportedFeatures()));
  Plan plan;
  plan.num_values = file.num_values();
  plan.value_types.resize(plan.num_values);
  plan.is_constant.resize(plan.num_values, false);
  plan.constants.resize(plan.num_values);
  plan.value_names.resize(plan.num_values);
  plan.last_use.assign(plan.num_values, std::numeric_limits<uint32_t>::max());

  for (uint32_t v = 0; v < plan.num_values; ++v) {
    const qm::QmValue value = file.value(v);
    plan.value_names[v] = std::string(value.name());
    const std::string what = "value '" + plan.value_names[v] + "'";
    QC_ASSIGN_OR_RETURN(plan.value_types[v], ToValueType(value.dtype(), what));
    if (value.is_constant()) {
      plan.is_constant[v] = true;
      ConstantRef& c = plan.constants[v];
      c.type = plan.value_types[v];
      c.dtype = value.dtype();
      c.data = value.data();
      c.byte_size = value.byte_size();
      for (size_t d = 0; d < value.rank(); ++d) c.dims.push_back(value.dim(d).size);
    }
  }
  for (uint32_t v = 0; v < plan.num_values; ++v) {
    if (plan.value_types[v] == ValueType::kPacked && !plan.is_constant[v]) {
      return Unsupported("value '" + plan.value_names[v] + "' has element type " +
                         qm::DTypeName(file.value(v).dtype()) + "; only constants read by quantized ops may");
    }
  }
  for (uint32_t v : file.inputs()) plan.inputs.push_back(v);
  for (uint32_t v : file.outputs()) plan.outputs.push_back(v);

  plan.ops.reserve(file.num_ops());
  for (uint32_t i = 0; i < file.num_ops(); ++i) {
    const qm::QmOp op = file.op(i);
    PlannedOp p;
    p.type = op.type();
    p.description = op.Describe();
    QC_ASSIGN_OR_RETURN(OpShapeRule rule, RuleFor(op.type()));
    if (op.num_inputs() < rule.min_inputs || op.num_inputs() > rule.max_inputs) {
      return CorruptData(p.description + ": has " + std::to_string(op.num_inputs()) + " inputs, expected " +
                         std::to_string(rule.min_inputs) + ".." + std::to_string(rule.max_inputs));
    }
    if (op.num_outputs() != 1) return CorruptData(p.description + ": expected exactly 1 output");
    for (size_t k = 0; k < op.num_inputs(); ++k) {
      const int32_t in = op.input(k);
      // Packed bytes have no element view in the executor: only the quantized ops' weight / table slot reads them.
      const bool packed_slot = (op.type() == qm::OpType::QLinear || op.type() == qm::OpType::QEmbedding) && k == 1;
      if (in >= 0 && (plan.value_types[static_cast<uint32_t>(in)] == ValueType::kPacked) != packed_slot) {
        return Unsupported(p.description + ": input " + std::to_string(k) + " ('" +
                           plan.value_names[static_cast<uint32_t>(in)] + "') is " +
                           qm::DTypeName(file.value(static_cast<uint32_t>(in)).dtype()) +
                           (packed_slot ? "; this slot takes packed quantized bytes"
                                        : "; packed quantized bytes are read only as a QLinear weight or QEmbedding table"));
      }
      p.inputs.push_back(in);
      if (in >= 0) plan.last_use[static_cast<uint32_t>(in)] = i;
      if (k < rule.min_inputs && in < 0) {
        return CorruptData(p.description + ": required input " + std::to_string(k) + " is missing");
      }
    }
    for (size_t k : rule.constant_inputs) {
      if (k < p.inputs.size() && p.inputs[k] >= 0 && !plan.is_constant[static_cast<uint32_t>(p.inputs[k])]) {
        return Unsupported(p.description + ": input " + std::to_string(k) + " ('" +
                           plan.value_names[static_cast<uint32_t>(p.inputs[k])] +
                           "') must be a constant (weights computed at run time are not supported)");
      }
      if (!qm::IsQuantizedOp(op.type()) && k < p.inputs.size() && p.inputs[k] >= 0 &&
          plan.value_types[static_cast<uint32_t>(p.inputs[k])] != ValueType::kF32) {
        return Unsupported(p.description + ": weight input " + std::to_string(k) + " must be f32");
      }
    }
    p.outputs.push_back(op.output(0));
    QC_RETURN_IF_ERROR(DecodeAttrs(op, p.attrs));
    plan.ops.push_back(std::move(p));
  }
  for (uint32_t v : plan.outputs) {
    if (plan.value_types[v] == ValueType::kPacked) {
      return Unsupported("graph output '" + plan.value_names[v] + "' is a packed quantized constant");
    }
  }
  // Graph outputs must survive to the end.
  for (uint32_t v : plan.outputs) plan.last_use[v] = std::numeric_limits<uint32_t>::max();
  return plan;
}

}  // namespace qc::exec
