// ValidateQmSpec: everything the .qm reader (runtime/format/qm_check.cc) will demand, checked on the spec before a
// byte is written, so the writer never produces a file the runtime rejects.
#include <algorithm>
#include <set>
#include <string_view>

#include "exporters/qm/qm_writer.h"
#include "runtime/format/qm_quant_rules.h"
#include "runtime/format/qm_rules.h"

namespace qc::qm {
namespace {

// Saturating sum for the graph-size estimate.
void Add(uint64_t* total, uint64_t n) {
  *total = n > UINT64_MAX - *total ? UINT64_MAX : *total + n;
}

uint64_t StringCost(size_t n) {
  return n + 12;
}  // u32 length + NUL + alignment, generously

class SpecChecker {
 public:
  explicit SpecChecker(const QmModelSpec& spec) : s_(spec) {}

  Status Run() {
    QC_RETURN_IF_ERROR(CheckHeader());
    QC_RETURN_IF_ERROR(CheckValues());
    QC_RETURN_IF_ERROR(CheckGraph());
    QC_RETURN_IF_ERROR(CheckMetadata());
    for (const std::string* text :
         {&s_.provenance.producer_name, &s_.provenance.producer_version, &s_.provenance.command_line,
          &s_.provenance.source_model_name, &s_.provenance.source_model_hash, &s_.provenance.calibration_data_hash,
          &s_.report_json}) {
      if (text->size() > kMaxTextBytes) return Bad("a provenance string or the report is longer than 64 MiB");
      Add(&graph_bytes_, StringCost(text->size()));
    }
    if (graph_bytes_ > kMaxGraphBytes) {
      return Bad("the graph section would take about " + std::to_string(graph_bytes_ >> 20) +
                 " MiB, over the 1 GiB limit; large data belongs in constants, not metadata or attributes");
    }
    return Status::Ok();
  }

 private:
  Status Bad(const std::string& what) const { return InvalidArgument("qm spec: " + what); }
  std::string ValueText(size_t i) const { return "value " + std::to_string(i) + " '" + s_.values[i].name + "'"; }
  std::string OpText(size_t i) const {
    return "op " + std::to_string(i) + " '" + s_.ops[i].name + "' (" + OpTypeName(s_.ops[i].type) + ")";
  }

  // The reader's format/qm_quant_rules.h checks, on the spec.
  Status CheckQuantizedOpRules(size_t i) const {
    const OpSpec& op = s_.ops[i];
    const auto lookup = [&](AttrKey key) {
      QAttr a;
      for (const AttrSpec& attr : op.attrs) {
        if (attr.key != key) continue;
        a.present = true;
        a.kind = attr.value.kind();
        if (const auto* v = std::get_if<int64_t>(&attr.value.value)) a.i = *v;
        if (const auto* v = std::get_if<double>(&attr.value.value)) a.f = *v;
      }
      return a;
    };
    for (const QuantizedOpNeed& need : QuantizedOpNeeds(op.type, lookup)) {
      if (std::find(s_.required_features.begin(), s_.required_features.end(), need.feature) ==
          s_.required_features.end()) {
        return Bad(OpText(i) + UnlistedFeatureText(need));
      }
      if (s_.min_runtime_version < need.runtime) return Bad(OpText(i) + OldRuntimeText(need, s_.min_runtime_version, "spec"));
    }
    std::vector<QOperand> inputs(op.inputs.size());
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      if (op.inputs[k] == kNoValue) continue;
      const ValueSpec& v = s_.values[static_cast<size_t>(op.inputs[k])];
      QOperand& o = inputs[k];
      o.present = true;
      o.dtype = v.dtype;
      o.is_constant = v.constant.has_value();
      for (const DimSpec& d : v.shape) o.dims.push_back(d.is_symbolic() ? -1 : d.size);
    }
    const std::string why = CheckQuantizedOp(op.type, inputs, lookup);
    if (!why.empty()) return Bad(OpText(i) + ": " + why);
    return Status::Ok();
  }

  Status CheckHeader() {
    const RuntimeVersion& v = s_.min_runtime_version;
    if (!v.Packable())
      return Bad("min_runtime_version " + v.ToString() + " does not fit (major < 65536, minor/patch < 256)");
    if (v < kFormatFloorRuntime) {
      return Bad("min_runtime_version " + v.ToString() + " is below " + kFormatFloorRuntime.ToString() +
                 ", the first runtime that reads format 1.0");
    }
    if (s_.required_features.size() > kMaxRequiredFeatures) return Bad("more than 1024 required features");
    std::set<std::string_view> seen;
    for (const std::string& f : s_.required_features) {
      if (const char* why = CheckFeatureName(f)) return Bad("required feature '" + f + "' " + why);
      if (!seen.insert(f).second) return Bad("required feature '" + f + "' is listed twice");
      Add(&graph_bytes_, StringCost(f.size()));
    }
    return Status::Ok();
  }

  Status CheckValues() {
    if (s_.values.size() > kMaxValues) return Bad(std::to_string(s_.values.size()) + " values exceed the limit");
    std::set<std::string_view> names, symbols;
    for (size_t i = 0; i < s_.values.size(); ++i) {
      const ValueSpec& v = s_.values[i];
      if (const char* why = CheckName(v.name)) return Bad("value " + std::to_string(i) + ": " + why);
      if (!names.insert(v.name).second) return Bad(ValueText(i) + ": another value has the same name");
      if (!IsKnownDType(v.dtype)) return Bad(ValueText(i) + " has dtype " + DTypeName(v.dtype));
      if (v.shape.size() > kMaxRank) return Bad(ValueText(i) + " has rank " + std::to_string(v.shape.size()) + " > 8");
      std::vector<int64_t> dims;
      for (size_t d = 0; d < v.shape.size(); ++d) {
        const DimSpec& dim = v.shape[d];
        if (dim.is_symbolic()) {
          if (const char* why = CheckName(dim.symbol))
            return Bad(ValueText(i) + " dim " + std::to_string(d) + ": " + why);
          symbols.insert(dim.symbol);
        } else if (dim.size < 0 || dim.size > kMaxDimSize) {
          return Bad(ValueText(i) + " dim " + std::to_string(d) + " is " + std::to_string(dim.size) +
                     "; fixed sizes are in [0, 2^48]");
        }
        dims.push_back(dim.size);
      }
      Add(&graph_bytes_, 96 + StringCost(v.name.size()) + 8 * v.shape.size());
      if (v.constant) QC_RETURN_IF_ERROR(CheckConstant(i, dims));
      if (v.quant) QC_RETURN_IF_ERROR(CheckQuant(i));
    }
    if (symbols.size() > kMaxDimSymbols) return Bad("more than 1024 distinct dimension symbols");
    for (std::string_view sym : symbols) Add(&graph_bytes_, StringCost(sym.size()));
    return Status::Ok();
  }

  Status CheckConstant(size_t i, const std::vector<int64_t>& dims) const {
    const ValueSpec& v = s_.values[i];
    for (const DimSpec& dim : v.shape) {
      if (dim.is_symbolic()) return Bad(ValueText(i) + " is a constant but dimension '" + dim.symbol + "' is symbolic");
    }
    uint64_t expected = 0;
    if (!TensorByteSize(v.dtype, dims, &expected)) return Bad(ValueText(i) + ": the size of its shape overflows");
    if (v.constant->size != expected) {
      return Bad(ValueText(i) + " has " + std::to_string(v.constant->size) + " bytes of data but " +
                 DTypeName(v.dtype) + " x its shape needs " + std::to_string(expected));
    }
    if (v.constant->data == nullptr && v.constant->size != 0) return Bad(ValueText(i) + " has null data");
    return Status::Ok();
  }

  Status CheckQuant(size_t i) const {
    const ValueSpec& v = s_.values[i];
    const QuantSpec& q = *v.quant;
    if (q.bits < 1 || q.bits > 32) return Bad(ValueText(i) + " quant bits " + std::to_string(q.bits) + " not in 1..32");
    if (!IsKnownGranularity(q.granularity)) return Bad(ValueText(i) + " has an invalid quant granularity");
    if (q.granularity != QuantGranularity::PerTensor && (q.axis < 0 || static_cast<size_t>(q.axis) >= v.shape.size())) {
      return Bad(ValueText(i) + " quant axis " + std::to_string(q.axis) + " is not a dimension");
    }
    if ((q.granularity == QuantGranularity::PerGroup) != (q.group_size > 0)) {
      return Bad(ValueText(i) + " quant group_size must be > 0 exactly for PerGroup");
    }
    for (const auto& [ref, field] : {std::pair{q.scale_value, "scale"}, std::pair{q.zero_point_value, "zero_point"}}) {
      if (ref == kNoValue) continue;
      if (ref < 0 || static_cast<size_t>(ref) >= s_.values.size() || !s_.values[ref].constant) {
        return Bad(ValueText(i) + " quant " + field + " reference " + std::to_string(ref) + " is not a constant");
      }
    }
    return Status::Ok();
  }

  Status CheckGraph() {
    const size_t n = s_.values.size();
    enum : int8_t { kUnavailable, kAvailable };
    std::vector<int8_t> state(n, kUnavailable);
    for (size_t i = 0; i < n; ++i) state[i] = s_.values[i].constant ? kAvailable : kUnavailable;
    if (s_.inputs.size() > kMaxGraphIo || s_.outputs.size() > kMaxGraphIo)
      return Bad("more than 1024 graph inputs or outputs");
    for (size_t k = 0; k < s_.inputs.size(); ++k) {
      const uint32_t v = s_.inputs[k];
      if (v >= n) return Bad("graph input " + std::to_string(k) + " is value " + std::to_string(v) + ", out of range");
      if (state[v] != kUnavailable)
        return Bad("graph input " + std::to_string(k) + " is " + ValueText(v) +
                   ", which is a constant or listed twice");
      state[v] = kAvailable;
    }
    if (s_.ops.size() > kMaxOps) return Bad("more than " + std::to_string(kMaxOps) + " ops");
    for (size_t i = 0; i < s_.ops.size(); ++i) {
      const OpSpec& op = s_.ops[i];
      if (!IsKnownOpType(op.type)) return Bad(OpText(i) + " has an invalid op type");
      if (op.version == 0) return Bad(OpText(i) + " has version 0; op versions start at 1");
      if (const char* why = CheckName(op.name, /*allow_empty=*/true))
        return Bad("op " + std::to_string(i) + ": " + why);
      if (op.inputs.size() > kMaxOpInputs) return Bad(OpText(i) + " has more than 64 inputs");
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        const int32_t v = op.inputs[k];
        if (v == kNoValue) continue;
        if (v < 0 || static_cast<size_t>(v) >= n)
          return Bad(OpText(i) + " input " + std::to_string(k) + " is value " + std::to_string(v) + ", out of range");
        if (state[v] != kAvailable) {
          return Bad(OpText(i) + " reads " + ValueText(v) +
                     " before any op produces it (ops must be in topological order)");
        }
      }
      if (op.outputs.empty() || op.outputs.size() > kMaxOpOutputs) return Bad(OpText(i) + " must have 1 to 16 outputs");
      for (size_t k = 0; k < op.outputs.size(); ++k) {
        const int32_t v = op.outputs[k];
        if (v < 0 || static_cast<size_t>(v) >= n)
          return Bad(OpText(i) + " output " + std::to_string(k) + " is value " + std::to_string(v) + ", out of range");
        if (state[v] != kUnavailable) {
          return Bad(OpText(i) + " writes " + ValueText(v) +
                     ", which is already a graph input, a constant or another op's output");
        }
        state[v] = kAvailable;
      }
      if (op.attrs.size() > kMaxAttrs) return Bad(OpText(i) + " has more than 32 attributes");
      for (size_t k = 0; k < op.attrs.size(); ++k) {
        const std::string what = OpText(i) + " attribute '" + AttrKeyName(op.attrs[k].key) + "'";
        if (!IsKnownAttrKey(op.attrs[k].key)) return Bad(what + ": invalid key");
        for (size_t j = 0; j < k; ++j) {
          if (op.attrs[j].key == op.attrs[k].key) return Bad(what + " appears twice");
        }
        QC_RETURN_IF_ERROR(CheckDatum(op.attrs[k].value, what));
      }
      if (IsQuantizedOp(op.type)) QC_RETURN_IF_ERROR(CheckQuantizedOpRules(i));
      Add(&graph_bytes_, 128 + StringCost(op.name.size()) + 4 * (op.inputs.size() + op.outputs.size()));
    }
    for (size_t v = 0; v < n; ++v) {
      if (state[v] == kUnavailable)
        return Bad(ValueText(v) + " is neither a graph input, a constant nor the output of an op");
    }
    std::set<uint32_t> outs;
    for (size_t k = 0; k < s_.outputs.size(); ++k) {
      const uint32_t v = s_.outputs[k];
      if (v >= n) return Bad("graph output " + std::to_string(k) + " is value " + std::to_string(v) + ", out of range");
      if (!outs.insert(v).second) return Bad("graph output " + std::to_string(k) + " lists " + ValueText(v) + " twice");
    }
    Add(&graph_bytes_, 4 * (s_.inputs.size() + s_.outputs.size()));
    return Status::Ok();
  }

  Status CheckDatum(const Datum& d, const std::string& what) {
    Add(&graph_bytes_, 64);
    if (const auto* s = std::get_if<std::string>(&d.value)) {
      if (s->size() > kMaxTextBytes) return Bad(what + " is a string longer than 64 MiB");
      Add(&graph_bytes_, StringCost(s->size()));
    } else if (const auto* ints = std::get_if<std::vector<int64_t>>(&d.value)) {
      if (ints->size() > kMaxListElements) return Bad(what + " has more than 2^24 elements");
      Add(&graph_bytes_, 8 * ints->size() + 16);
    } else if (const auto* floats = std::get_if<std::vector<double>>(&d.value)) {
      if (floats->size() > kMaxListElements) return Bad(what + " has more than 2^24 elements");
      Add(&graph_bytes_, 8 * floats->size() + 16);
    } else if (const auto* strings = std::get_if<std::vector<std::string>>(&d.value)) {
      if (strings->size() > kMaxListElements) return Bad(what + " has more than 2^24 elements");
      for (const std::string& e : *strings) {
        if (e.size() > kMaxTextBytes) return Bad(what + " has an element longer than 64 MiB");
        Add(&graph_bytes_, 4 + StringCost(e.size()));
      }
    } else if (const auto* bytes = std::get_if<Datum::Bytes>(&d.value)) {
      if (bytes->data.size() > kMaxBytesDatum) return Bad(what + " holds more than 256 MiB");
      Add(&graph_bytes_, bytes->data.size() + 16);
    }
    return Status::Ok();
  }

  Status CheckMetadata() {
    if (s_.metadata.size() > kMaxMetadataEntries) return Bad("more than 4096 metadata entries");
    for (const auto& [key, datum] : s_.metadata) {
      if (const char* why = CheckMetadataKey(key)) return Bad("metadata key '" + key + "' " + why);
      const std::string what = "metadata '" + key + "'";
      QC_RETURN_IF_ERROR(CheckDatum(datum, what));
      Add(&graph_bytes_, StringCost(key.size()));
      const StandardMetadataKey* standard = FindStandardMetadataKey(key);
      if (standard == nullptr) {
        if (IsReservedMetadataNamespace(key)) {
          return Bad(what + " is not a standard key, and keys under tokenizer., image. and model. must be (typo?)");
        }
        continue;
      }
      if (datum.kind() != standard->kind) {
        return Bad(what + " is " + DatumKindPhrase(datum.kind()) + " but must be " + DatumKindPhrase(standard->kind));
      }
      const int64_t* ints = nullptr;
      const double* floats = nullptr;
      size_t n_ints = 0, n_floats = 0, list_size = 0;
      if (const auto* i = std::get_if<int64_t>(&datum.value)) ints = i, n_ints = 1;
      if (const auto* f = std::get_if<double>(&datum.value)) floats = f, n_floats = 1;
      if (const auto* il = std::get_if<std::vector<int64_t>>(&datum.value))
        ints = il->data(), n_ints = list_size = il->size();
      if (const auto* fl = std::get_if<std::vector<double>>(&datum.value))
        floats = fl->data(), n_floats = list_size = fl->size();
      if (const auto* sl = std::get_if<std::vector<std::string>>(&datum.value)) list_size = sl->size();
      if (const char* why = CheckStandardMetadataValue(key, ints, n_ints, floats, n_floats, list_size)) {
        return Bad(what + " " + why);
      }
    }
    return Status::Ok();
  }

  const QmModelSpec& s_;
  uint64_t graph_bytes_ = 4096;  // root table, vtables, alignment
};

}  // namespace

Status ValidateQmSpec(const QmModelSpec& spec) {
  return SpecChecker(spec).Run();
}

}  // namespace qc::qm
