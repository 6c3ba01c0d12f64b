#include "exporters/qm/to_ir.h"

#include <map>
#include <memory>

#include "exporters/qm/ir_mapping.h"
#include "ir/verifier.h"
#include "runtime/format/qm_quant_rules.h"
#include "runtime/format/qm_reader.h"

namespace qc {
namespace {

// Reverse tables, derived from the forward ones by enumerating the IR's X-macro lists.
template <typename Ir, typename Qm, typename Forward>
std::map<Qm, Ir> Reverse(size_t count, Forward forward) {
  std::map<Qm, Ir> out;
  for (size_t i = 0; i < count; ++i) {
    const auto ir_value = static_cast<Ir>(i);
    auto qm_value = forward(ir_value);
    if (qm_value.ok()) out.emplace(*qm_value, ir_value);
  }
  return out;
}

const std::map<qm::DType, ir::DType>& DTypes() {
  static const auto m = Reverse<ir::DType, qm::DType>(ir::kNumDTypes, qm_mapping::ToQmDType);
  return m;
}
const std::map<qm::OpType, ir::OpType>& OpTypes() {
  static const auto m = Reverse<ir::OpType, qm::OpType>(ir::kNumOpTypes, qm_mapping::ToQmOpType);
  return m;
}
const std::map<qm::AttrKey, ir::AttrName>& AttrNames() {
  static const auto m = Reverse<ir::AttrName, qm::AttrKey>(ir::kNumAttrNames, qm_mapping::ToQmAttrKey);
  return m;
}

// A datum as an IR attribute / metadata value (metadata adds string lists; bytes have no IR equivalent).
Expected<ir::MetadataValue> FromDatum(const qm::QmDatum& d, const std::string& what) {
  switch (d.kind()) {
    case qm::DatumKind::kInt: return ir::MetadataValue(*d.AsInt());
    case qm::DatumKind::kFloat: return ir::MetadataValue(*d.AsFloat());
    case qm::DatumKind::kString: return ir::MetadataValue(std::string(*d.AsString()));
    case qm::DatumKind::kIntList: {
      auto l = *d.AsIntList();
      return ir::MetadataValue(std::vector<int64_t>(l.begin(), l.end()));
    }
    case qm::DatumKind::kFloatList: {
      auto l = *d.AsFloatList();
      return ir::MetadataValue(std::vector<double>(l.begin(), l.end()));
    }
    case qm::DatumKind::kStringList: {
      auto l = *d.AsStringList();
      std::vector<std::string> out;
      for (size_t i = 0; i < l.size(); ++i) out.emplace_back(l[i]);
      return ir::MetadataValue(std::move(out));
    }
    case qm::DatumKind::kBytes: break;
  }
  return Unsupported(what + ": a bytes value has no IR equivalent");
}

Expected<ir::AttrValue> ToAttr(const ir::MetadataValue& v, const std::string& what) {
  return std::visit(
      [&](const auto& x) -> Expected<ir::AttrValue> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return Unsupported(what + ": a string list is not an IR attribute kind");
        } else {
          return ir::AttrValue(x);
        }
      },
      v);
}

// Names BuildQmSpec gives unnamed intermediates: "%<digits>" plus '_' padding.
bool IsGeneratedName(std::string_view name) {
  if (name.size() < 2 || name[0] != '%') return false;
  size_t i = 1;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  if (i == 1) return false;
  while (i < name.size() && name[i] == '_') ++i;
  return i == name.size();
}

}  // namespace

Expected<QmImport> ImportQmFile(const std::string& path, const QmImportOptions& options) {
  QC_ASSIGN_OR_RETURN(qm::QmFile opened, qm::QmFile::Open(path));
  auto file = std::make_shared<const qm::QmFile>(std::move(opened));
  QmImport result;
  ir::Graph& g = result.graph;

  for (uint32_t i = 0; i < file->num_values(); ++i) {
    const qm::QmValue v = file->value(i);
    const std::string what = path + ": value " + std::to_string(i) + " '" + std::string(v.name()) + "'";
    ir::Value value;
    if (!IsGeneratedName(v.name())) value.name = std::string(v.name());
    auto dtype = DTypes().find(v.dtype());
    if (dtype == DTypes().end()) return Unsupported(what + ": its element type has no IR equivalent");
    value.dtype = dtype->second;
    std::vector<int64_t> dims;
    for (size_t d = 0; d < v.rank(); ++d) {
      const qm::QmDim dim = v.dim(d);
      if (dim.symbolic) {
        value.shape.push_back(ir::Dim(std::string(dim.symbol)));
      } else {
        value.shape.push_back(ir::Dim(dim.size));
        dims.push_back(dim.size);
      }
    }
    if (v.is_constant()) {
      if (dims.size() != v.rank()) return InvalidArgument(what + ": a constant with a symbolic dimension");
      // A view into the mapping; the shared QmFile keeps it alive as long as any copy of the tensor.
      auto tensor = ir::Tensor::View(value.dtype, dims, v.data(), static_cast<size_t>(v.byte_size()),
                                     std::shared_ptr<const void>(file, file.get()));
      if (!tensor.ok()) return tensor.status().WithContext(what);
      value.constant = std::move(tensor).value();
    }
    g.AppendValue(std::move(value));
  }

  for (uint32_t i = 0; i < file->num_ops(); ++i) {
    const qm::QmOp op = file->op(i);
    const std::string what = path + ": " + op.Describe();
    if (qm::IsQuantizedOp(op.type()) && !options.allow_quantized) {
      return FailedPrecondition(path + ": already compressed (" + op.Describe() +
                                "); qcompress needs the float model (the source ONNX file, Hugging Face directory "
                                "or float .qm)");
    }
    auto type = OpTypes().find(op.type());
    if (type == OpTypes().end()) return Unsupported(what + ": no IR op for this type");
    ir::Node node;
    node.op = type->second;
    node.name = std::string(op.name());
    for (size_t k = 0; k < op.num_inputs(); ++k) {
      const int32_t in = op.input(k);
      node.inputs.push_back(in < 0 ? ir::kNoValue : static_cast<ir::ValueId>(in));
    }
    for (size_t k = 0; k < op.num_outputs(); ++k) node.outputs.push_back(static_cast<ir::ValueId>(op.output(k)));
    for (size_t a = 0; a < op.num_attrs(); ++a) {
      auto name = AttrNames().find(op.attr_key(a));
      if (name == AttrNames().end()) return Unsupported(what + ": attribute " + std::to_string(a) + " has no IR name");
      const std::string attr_what = what + " attribute '" + std::string(ir::AttrNameText(name->second)) + "'";
      QC_ASSIGN_OR_RETURN(ir::MetadataValue datum, FromDatum(op.attr_value(a), attr_what));
      QC_ASSIGN_OR_RETURN(ir::AttrValue value, ToAttr(datum, attr_what));
      node.attributes.Set(name->second, std::move(value));
    }
    // Writers omit act_groups = 1 (files before format 1.3 cannot have it); the IR node carries every attribute.
    if (node.op == ir::OpType::kQLinear && !node.attributes.Has(ir::AttrName::kActGroups)) {
      node.attributes.Set(ir::AttrName::kActGroups, int64_t{1});
    }
    g.AppendNode(std::move(node));
  }
  for (uint32_t v : file->inputs()) g.mutable_inputs().push_back(static_cast<ir::ValueId>(v));
  for (uint32_t v : file->outputs()) g.mutable_outputs().push_back(static_cast<ir::ValueId>(v));
  for (size_t i = 0; i < file->num_metadata(); ++i) {
    const std::string key(file->metadata_key(i));
    QC_ASSIGN_OR_RETURN(g.mutable_metadata()[key], FromDatum(file->metadata_value(i), path + ": metadata '" + key + "'"));
  }
  QC_RETURN_IF_ERROR(ir::Verify(g).WithContext(path));

  const qm::QmProvenance p = file->provenance();
  result.provenance.producer_name = std::string(p.producer_name);
  result.provenance.producer_version = std::string(p.producer_version);
  result.provenance.command_line = std::string(p.command_line);
  result.provenance.source_model_name = std::string(p.source_model_name);
  result.provenance.source_model_hash = std::string(p.source_model_hash);
  result.provenance.calibration_data_hash = std::string(p.calibration_data_hash);
  result.provenance.seed = p.seed;
  return result;
}

}  // namespace qc
