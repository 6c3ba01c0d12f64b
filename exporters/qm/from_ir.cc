#include "exporters/qm/from_ir.h"

#include <algorithm>
#include <set>

#include "exporters/qm/ir_mapping.h"
#include "exporters/qm/qm_writer.h"
#include "ir/quant.h"
#include "ir/verifier.h"
#include "runtime/format/qm_quant_rules.h"

namespace qc {
namespace qm_mapping {
// The forward tables (exporters/qm/ir_mapping.h); to_ir.cc derives the reverse ones from them. and the file's are the same numbers (both are stored as-is).
static_assert(static_cast<int64_t>(ir::QWeightFormat::kT2R4K128) == static_cast<int64_t>(qm::QmWeightFormat::kT2R4K128));
static_assert(static_cast<int64_t>(ir::QWeightFormat::kI4) == static_cast<int64_t>(qm::QmWeightFormat::kI4));
static_assert(static_cast<int64_t>(ir::QWeightFormat::kI8) == static_cast<int64_t>(qm::QmWeightFormat::kI8));
static_assert(static_cast<int64_t>(ir::QActGranularity::kPerToken) ==
              static_cast<int64_t>(qm::QmActGranularity::kPerToken));
static_assert(static_cast<int64_t>(ir::QActGranularity::kPerTensor) ==
              static_cast<int64_t>(qm::QmActGranularity::kPerTensor));
static_assert(static_cast<int64_t>(ir::QActGranularity::kStatic) == static_cast<int64_t>(qm::QmActGranularity::kStatic));
static_assert(ir::kMaxActGroups == qm::kMaxActGroups);
static_assert(static_cast<int64_t>(ir::QEpilogue::kNone) == static_cast<int64_t>(qm::QmEpilogue::kNone));
static_assert(static_cast<int64_t>(ir::QEpilogue::kGeluErf) == static_cast<int64_t>(qm::QmEpilogue::kGeluErf));
static_assert(static_cast<int64_t>(ir::QEpilogue::kGeluTanh) == static_cast<int64_t>(qm::QmEpilogue::kGeluTanh));

Expected<qm::DType> ToQmDType(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32: return qm::DType::F32;
    case ir::DType::kF16: return qm::DType::F16;
    case ir::DType::kBF16: return qm::DType::BF16;
    case ir::DType::kI64: return qm::DType::I64;
    case ir::DType::kI32: return qm::DType::I32;
    case ir::DType::kI16: return qm::DType::I16;
    case ir::DType::kI8: return qm::DType::I8;
    case ir::DType::kU8: return qm::DType::U8;
    case ir::DType::kBool: return qm::DType::Bool;
    case ir::DType::kT2: return qm::DType::T2;
    case ir::DType::kI4: return qm::DType::I4;
  }
  return Internal("IR dtype " + std::to_string(static_cast<int>(dtype)) + " has no .qm equivalent");
}

// The .qm op enum is append-only and numbered independently of the IR's X-macro list; map by name of the op.
Expected<qm::OpType> ToQmOpType(ir::OpType op) {
  using I = ir::OpType;
  using Q = qm::OpType;
  switch (op) {
    case I::kEmbedding: return Q::Embedding;
    case I::kAddPositionEmbedding: return Q::AddPositionEmbedding;
    case I::kAdd: return Q::Add;
    case I::kSub: return Q::Sub;
    case I::kMul: return Q::Mul;
    case I::kLayerNorm: return Q::LayerNorm;
    case I::kLinear: return Q::Linear;
    case I::kGelu: return Q::Gelu;
    case I::kTanh: return Q::Tanh;
    case I::kRelu: return Q::Relu;
    case I::kSoftmax: return Q::Softmax;
    case I::kAttention: return Q::Attention;
    case I::kSelectToken: return Q::SelectToken;
    case I::kMeanPool: return Q::MeanPool;
    case I::kL2Normalize: return Q::L2Normalize;
    case I::kPatchEmbed: return Q::PatchEmbed;
    case I::kPrependToken: return Q::PrependToken;
    case I::kQLinear: return Q::QLinear;
    case I::kQEmbedding: return Q::QEmbedding;
    case I::kQAttention: return Q::QAttention;
    case I::kQAttentionQkv: return Q::QAttentionQkv;
  }
  return Unsupported(std::string("IR op ") + std::string(ir::OpTypeName(op)) + " has no .qm equivalent yet");
}

Expected<qm::AttrKey> ToQmAttrKey(ir::AttrName name) {
  using A = ir::AttrName;
  using K = qm::AttrKey;
  switch (name) {
    case A::kEpsilon: return K::epsilon;
    case A::kAxis: return K::axis;
    case A::kNumHeads: return K::num_heads;
    case A::kScale: return K::scale;
    case A::kMaskFill: return K::mask_fill;
    case A::kApproximate: return K::approximate;
    case A::kIndex: return K::index;
    case A::kOffset: return K::offset;
    case A::kPatch: return K::patch;
    case A::kWeightFormat: return K::weight_format;
    case A::kInFeatures: return K::in_features;
    case A::kOutFeatures: return K::out_features;
    case A::kActGranularity: return K::act_granularity;
    case A::kActClip: return K::act_clip;
    case A::kActAmax: return K::act_amax;
    case A::kEpilogue: return K::epilogue;
    case A::kActGroups: return K::act_groups;
  }
  return Unsupported("IR attribute " + std::string(ir::AttrNameText(name)) + " has no .qm equivalent yet");
}

}  // namespace qm_mapping

namespace {
using qm_mapping::ToQmAttrKey;
using qm_mapping::ToQmDType;
using qm_mapping::ToQmOpType;

// The IR's quantized-op enums
// IR attribute values and metadata values are variants over the same kinds (metadata adds string lists).
template <typename Variant>
qm::Datum ToDatum(const Variant& v) {
  return std::visit(
      [](const auto& x) -> qm::Datum {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) return qm::Datum::Int(x);
        if constexpr (std::is_same_v<T, double>) return qm::Datum::Float(x);
        if constexpr (std::is_same_v<T, std::string>) return qm::Datum::String(x);
        if constexpr (std::is_same_v<T, std::vector<int64_t>>) return qm::Datum::IntList(x);
        if constexpr (std::is_same_v<T, std::vector<double>>) return qm::Datum::FloatList(x);
        if constexpr (std::is_same_v<T, std::vector<std::string>>) return qm::Datum::StringList(x);
      },
      v);
}

}  // namespace

Expected<qm::QmModelSpec> BuildQmSpec(const ir::Graph& graph, const qm::ProvenanceSpec& provenance) {
  QC_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, graph.TopologicalOrder());

  // Keep graph inputs, graph outputs and every value a live node touches; renumber in IR id order.
  std::vector<bool> keep(graph.num_values(), false);
  for (ir::ValueId v : graph.inputs()) keep[v] = true;
  for (ir::ValueId v : graph.outputs()) keep[v] = true;
  for (ir::NodeId n : order) {
    for (ir::ValueId v : graph.node(n).inputs) {
      if (v != ir::kNoValue) keep[v] = true;
    }
    for (ir::ValueId v : graph.node(n).outputs) keep[v] = true;
  }
  std::vector<int32_t> index(graph.num_values(), qm::kNoValue);
  qm::QmModelSpec spec;
  std::set<std::string> used_names;
  for (ir::ValueId v = 0; v < graph.num_values(); ++v) {
    if (keep[v] && !graph.value(v).name.empty()) used_names.insert(graph.value(v).name);
  }
  for (ir::ValueId v = 0; v < graph.num_values(); ++v) {
    if (!keep[v]) continue;
    const ir::Value& value = graph.value(v);
    index[v] = static_cast<int32_t>(spec.values.size());
    qm::ValueSpec out;
    out.name = value.name;
    if (out.name.empty()) {
      out.name = "%" + std::to_string(spec.values.size());
      while (used_names.count(out.name) != 0) out.name += "_";
      used_names.insert(out.name);
    }
    QC_ASSIGN_OR_RETURN(out.dtype, ToQmDType(value.dtype));
    for (const ir::Dim& d : value.shape) {
      out.shape.push_back(d.is_static() ? qm::DimSpec::Fixed(d.size()) : qm::DimSpec::Symbol(d.symbol()));
    }
    if (value.constant) out.constant = qm::ConstantData{value.constant->raw_data(), value.constant->byte_size()};
    spec.values.push_back(std::move(out));
  }

  for (ir::NodeId n : order) {
    const ir::Node& node = graph.node(n);
    qm::OpSpec op;
    auto type = ToQmOpType(node.op);
    if (!type.ok()) return type.status().WithContext(graph.DescribeNode(n));
    op.type = *type;
    op.name = node.name;
    for (ir::ValueId v : node.inputs) op.inputs.push_back(v == ir::kNoValue ? qm::kNoValue : index[v]);
    for (ir::ValueId v : node.outputs) op.outputs.push_back(index[v]);
    for (const auto& [name, value] : node.attributes) {
      // act_groups = 1 is the meaning of its absence: omitting it keeps such files readable by runtimes before 0.4.0.
      if (name == ir::AttrName::kActGroups && std::holds_alternative<int64_t>(value) && std::get<int64_t>(value) == 1) {
        continue;
      }
      auto key = ToQmAttrKey(name);
      if (!key.ok()) return key.status().WithContext(graph.DescribeNode(n));
      op.attrs.push_back({*key, ToDatum(value)});
    }
    if (qm::IsQuantizedOp(op.type)) {
      // A format 1.1+ op: name it so an older runtime refuses the file with the runtime to install. Its attributes
      // are the realised quantization; an annotation left on it is intent already carried out.
      const auto lookup = [&](qm::AttrKey key) {
        qm::QAttr a;
        for (const qm::AttrSpec& attr : op.attrs) a.present = a.present || attr.key == key;
        return a;
      };
      for (const qm::QuantizedOpNeed& need : qm::QuantizedOpNeeds(op.type, lookup)) {
        if (std::find(spec.required_features.begin(), spec.required_features.end(), need.feature) ==
            spec.required_features.end()) {
          spec.required_features.push_back(need.feature);
        }
        if (spec.min_runtime_version < need.runtime) spec.min_runtime_version = need.runtime;
      }
    } else if (node.quant) {
      return Unsupported(graph.DescribeNode(n) +
                         ": carries a quantization annotation; packed quantized export is not available yet");
    }
    spec.ops.push_back(std::move(op));
  }
  for (ir::ValueId v : graph.inputs()) spec.inputs.push_back(static_cast<uint32_t>(index[v]));
  for (ir::ValueId v : graph.outputs()) spec.outputs.push_back(static_cast<uint32_t>(index[v]));
  for (const auto& [key, value] : graph.metadata()) spec.metadata[key] = ToDatum(value);
  spec.provenance = provenance;
  return spec;
}

Status ExportQm(const ir::Graph& graph, const qm::ProvenanceSpec& provenance, const std::string& path,
                const std::string& report_json) {
  QC_RETURN_IF_ERROR(ir::Verify(graph).WithContext("exporting " + path));
  QC_ASSIGN_OR_RETURN(qm::QmModelSpec spec, BuildQmSpec(graph, provenance));
  spec.report_json = report_json;
  return qm::WriteQmFile(spec, path).WithContext("exporting " + path);
}

}  // namespace qc
