// Semantic verification of a .qm graph section (after the FlatBuffers Verifier). See format/qm_check.h.
#include "format/qm_check.h"

#include <algorithm>
#include <string_view>

#include "format/qm_quant_rules.h"
#include "format/qm_rules.h"

namespace qc::qm::internal {
namespace {

using StringVec = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : s->string_view();
}

template <typename T>
uint32_t Size(const flatbuffers::Vector<T>* v) {
  return v == nullptr ? 0 : v->size();
}

class Checker {
 public:
  Checker(const fb::Model& model, const CheckContext& ctx) : m_(model), ctx_(ctx) {}

  Status Run(std::vector<uint32_t>* values_by_name) {
    QC_RETURN_IF_ERROR(CheckHeaderFields());
    QC_RETURN_IF_ERROR(CheckSymbols());
    QC_RETURN_IF_ERROR(CheckValues(values_by_name));
    QC_RETURN_IF_ERROR(CheckGraph());
    QC_RETURN_IF_ERROR(CheckMetadata());
    QC_RETURN_IF_ERROR(CheckProvenance());
    if (ctx_.verify_tensor_checksums) QC_RETURN_IF_ERROR(CheckChecksums());
    return Status::Ok();
  }

 private:
  Status Corrupt(const std::string& what) const { return CorruptData(ctx_.path + ": " + what); }

  std::string ValueText(uint32_t i) const {
    return "value " + std::to_string(i) + " '" + std::string(View(m_.values()->Get(i)->name())) + "'";
  }
  std::string OpText(uint32_t i) const {
    const fb::Op* op = m_.ops()->Get(i);
    return "op " + std::to_string(i) + " '" + std::string(View(op->name())) + "' (" + OpTypeName(op->type()) + ")";
  }

  Status CheckHeaderFields() {
    if (m_.min_runtime_version() != ctx_.preamble->min_runtime_version) {
      return Corrupt("graph section min_runtime_version " +
                     RuntimeVersion::Unpack(m_.min_runtime_version()).ToString() + " differs from the preamble's " +
                     RuntimeVersion::Unpack(ctx_.preamble->min_runtime_version).ToString());
    }
    if (m_.blob_length() != ctx_.blob_size) {
      return Corrupt("graph section blob_length " + std::to_string(m_.blob_length()) + " differs from the preamble's " +
                     std::to_string(ctx_.blob_size));
    }
    const StringVec* features = m_.required_features();
    if (Size(features) > kMaxRequiredFeatures) return Corrupt("more than 1024 required features");
    for (uint32_t i = 0; i < Size(features); ++i) {
      const std::string_view f = View(features->Get(i));
      if (const char* why = CheckFeatureName(f)) {
        return Corrupt("required feature " + std::to_string(i) + " '" + std::string(f.substr(0, 64)) + "' " + why);
      }
      if (i > 0 && !(View(features->Get(i - 1)) < f)) {
        return Corrupt("required features are not sorted and unique at '" + std::string(f) + "'");
      }
    }
    return Status::Ok();
  }

  Status CheckSymbols() {
    const StringVec* symbols = m_.dim_symbols();
    if (Size(symbols) > kMaxDimSymbols) return Corrupt("more than 1024 dimension symbols");
    std::vector<std::string_view> names;
    for (uint32_t i = 0; i < Size(symbols); ++i) {
      names.push_back(View(symbols->Get(i)));
      if (const char* why = CheckName(names.back()))
        return Corrupt("dimension symbol " + std::to_string(i) + ": " + why);
    }
    std::sort(names.begin(), names.end());
    const auto dup = std::adjacent_find(names.begin(), names.end());
    if (dup != names.end()) return Corrupt("dimension symbol '" + std::string(*dup) + "' appears twice");
    return Status::Ok();
  }

  Status CheckValues(std::vector<uint32_t>* values_by_name) {
    const uint32_t n = Size(m_.values());
    if (n > kMaxValues) return Corrupt(std::to_string(n) + " values exceed the limit of " + std::to_string(kMaxValues));
    for (uint32_t i = 0; i < n; ++i) {
      const fb::Value* v = m_.values()->Get(i);
      if (const char* why = CheckName(View(v->name()))) return Corrupt("value " + std::to_string(i) + ": " + why);
      if (!IsKnownDType(v->dtype())) {
        return Unsupported(ctx_.path + ": " + ValueText(i) + " has dtype " + DTypeName(v->dtype()) +
                           ", unknown to this runtime");
      }
      const uint32_t rank = Size(v->shape());
      if (rank > kMaxRank) return Corrupt(ValueText(i) + " has rank " + std::to_string(rank) + " > 8");
      std::vector<int64_t> dims;
      bool fixed = true;
      for (uint32_t d = 0; d < rank; ++d) {
        const int64_t dim = v->shape()->Get(d);
        if (dim > kMaxDimSize) return Corrupt(ValueText(i) + " dim " + std::to_string(d) + " is larger than 2^48");
        if (dim < 0 && static_cast<uint64_t>(-1 - dim) >= Size(m_.dim_symbols())) {
          return Corrupt(ValueText(i) + " dim " + std::to_string(d) + " names dimension symbol " +
                         std::to_string(-1 - dim) + " but there are " + std::to_string(Size(m_.dim_symbols())));
        }
        fixed = fixed && dim >= 0;
        dims.push_back(dim);
      }
      if (const fb::TensorData* data = v->data()) {
        if (!fixed) return Corrupt(ValueText(i) + " is a constant with a symbolic dimension");
        QC_RETURN_IF_ERROR(CheckTensorData(i, *v, *data, dims));
      }
      QC_RETURN_IF_ERROR(CheckQuant(i, *v));
    }
    values_by_name->resize(n);
    for (uint32_t i = 0; i < n; ++i) (*values_by_name)[i] = i;
    const auto name_of = [&](uint32_t i) { return View(m_.values()->Get(i)->name()); };
    std::sort(values_by_name->begin(), values_by_name->end(),
              [&](uint32_t a, uint32_t b) { return name_of(a) < name_of(b); });
    for (uint32_t k = 1; k < n; ++k) {
      const uint32_t a = (*values_by_name)[k - 1], b = (*values_by_name)[k];
      if (name_of(a) == name_of(b)) {
        return Corrupt("values " + std::to_string(std::min(a, b)) + " and " + std::to_string(std::max(a, b)) +
                       " are both named '" + std::string(name_of(a)) + "'");
      }
    }
    return Status::Ok();
  }

  Status CheckTensorData(uint32_t i, const fb::Value& v, const fb::TensorData& d, const std::vector<int64_t>& dims) {
    uint64_t expected = 0;
    if (!TensorByteSize(v.dtype(), dims, &expected)) return Corrupt(ValueText(i) + " has a shape whose size overflows");
    if (d.length() != expected) {
      return Corrupt(ValueText(i) + " stores " + std::to_string(d.length()) + " bytes but " + DTypeName(v.dtype()) +
                     " x its shape needs " + std::to_string(expected));
    }
    const uint32_t a = d.alignment();
    if (a < kTensorAlignment || a > kLargeTensorAlignment || (a & (a - 1)) != 0) {
      return Corrupt(ValueText(i) + " has alignment " + std::to_string(a) +
                     "; it must be a power of two in [64, 4096]");
    }
    if (d.offset() % a != 0) {
      return Corrupt(ValueText(i) + " data at blob offset " + std::to_string(d.offset()) + " is not aligned to " +
                     std::to_string(a));
    }
    if (d.offset() > ctx_.blob_size || d.length() > ctx_.blob_size - d.offset()) {
      return Corrupt(ValueText(i) + " data (blob offset " + std::to_string(d.offset()) + ", length " +
                     std::to_string(d.length()) + ") lies outside the " + std::to_string(ctx_.blob_size) +
                     "-byte blob section");
    }
    return Status::Ok();
  }

  Status CheckQuant(uint32_t i, const fb::Value& v) {
    const fb::QuantParams* q = v.quant();
    if (q == nullptr) return Status::Ok();
    if (q->bits() < 1 || q->bits() > 32)
      return Corrupt(ValueText(i) + " quant bits " + std::to_string(q->bits()) + " not in 1..32");
    if (!IsKnownGranularity(q->granularity())) {
      return Unsupported(ctx_.path + ": " + ValueText(i) + " uses quantization granularity " +
                         std::to_string(static_cast<int>(q->granularity())) + ", unknown to this runtime");
    }
    const bool per_axis = q->granularity() != QuantGranularity::PerTensor;
    if (per_axis && (q->axis() < 0 || static_cast<uint32_t>(q->axis()) >= Size(v.shape()))) {
      return Corrupt(ValueText(i) + " quant axis " + std::to_string(q->axis()) + " is not a dimension");
    }
    if ((q->granularity() == QuantGranularity::PerGroup) != (q->group_size() > 0)) {
      return Corrupt(ValueText(i) + " quant group_size " + std::to_string(q->group_size()) +
                     " must be > 0 exactly for PerGroup");
    }
    for (const auto& [ref, field] : {std::pair{q->scale(), "scale"}, std::pair{q->zero_point(), "zero_point"}}) {
      if (ref == -1) continue;
      if (ref < 0 || static_cast<uint32_t>(ref) >= Size(m_.values()) || m_.values()->Get(ref)->data() == nullptr) {
        return Corrupt(ValueText(i) + " quant " + field + " reference " + std::to_string(ref) + " is not a constant");
      }
    }
    return Status::Ok();
  }

  Status CheckGraph() {
    const uint32_t n = Size(m_.values());
    producer_.assign(n, kUnavailable);
    for (uint32_t i = 0; i < n; ++i) {
      if (m_.values()->Get(i)->data() != nullptr) producer_[i] = kConstant;
    }
    if (Size(m_.inputs()) > kMaxGraphIo || Size(m_.outputs()) > kMaxGraphIo)
      return Corrupt("more than 1024 graph inputs or outputs");
    for (uint32_t k = 0; k < Size(m_.inputs()); ++k) {
      const uint32_t v = m_.inputs()->Get(k);
      if (v >= n)
        return Corrupt("graph input " + std::to_string(k) + " is value " + std::to_string(v) + ", out of range");
      if (producer_[v] != kUnavailable) {
        return Corrupt("graph input " + std::to_string(k) + " is " + ValueText(v) +
                       ", which is a constant or listed twice");
      }
      producer_[v] = kGraphInput;
    }
    if (Size(m_.ops()) > kMaxOps) return Corrupt("more than " + std::to_string(kMaxOps) + " ops");
    for (uint32_t i = 0; i < Size(m_.ops()); ++i) QC_RETURN_IF_ERROR(CheckOp(i));
    for (uint32_t v = 0; v < n; ++v) {
      if (producer_[v] == kUnavailable) {
        return Corrupt(ValueText(v) + " is neither a graph input, a constant nor the output of an op");
      }
    }
    std::vector<uint32_t> outs;
    for (uint32_t k = 0; k < Size(m_.outputs()); ++k) {
      const uint32_t v = m_.outputs()->Get(k);
      if (v >= n)
        return Corrupt("graph output " + std::to_string(k) + " is value " + std::to_string(v) + ", out of range");
      outs.push_back(v);
    }
    std::sort(outs.begin(), outs.end());
    if (std::adjacent_find(outs.begin(), outs.end()) != outs.end())
      return Corrupt("a value is listed twice as graph output");
    return Status::Ok();
  }

  Status CheckOp(uint32_t i) {
    const fb::Op* op = m_.ops()->Get(i);
    const uint32_t n = Size(m_.values());
    if (!IsKnownOpType(op->type())) {
      return Unsupported(ctx_.path + ": " + OpText(i) +
                         " has an op type unknown to this runtime; the file should "
                         "have required a newer runtime (min_runtime_version " +
                         RuntimeVersion::Unpack(m_.min_runtime_version()).ToString() + ")");
    }
    if (const char* why = CheckName(View(op->name()), /*allow_empty=*/true))
      return Corrupt("op " + std::to_string(i) + ": " + why);
    if (op->version() == 0) return Corrupt(OpText(i) + " has version 0; op versions start at 1");
    if (Size(op->inputs()) > kMaxOpInputs) return Corrupt(OpText(i) + " has more than 64 inputs");
    for (uint32_t k = 0; k < Size(op->inputs()); ++k) {
      const int32_t v = op->inputs()->Get(k);
      if (v == -1) continue;
      if (v < -1 || static_cast<uint32_t>(v) >= n) {
        return Corrupt(OpText(i) + " input " + std::to_string(k) + " is value " + std::to_string(v) +
                       ", out of range [0, " + std::to_string(n) + ")");
      }
      if (producer_[v] == kUnavailable) {
        return Corrupt(OpText(i) + " reads " + ValueText(v) +
                       " before any op produces it (ops must be in "
                       "topological order)");
      }
    }
    const uint32_t num_outputs = Size(op->outputs());
    if (num_outputs == 0 || num_outputs > kMaxOpOutputs) return Corrupt(OpText(i) + " must have 1 to 16 outputs");
    for (uint32_t k = 0; k < num_outputs; ++k) {
      const int32_t v = op->outputs()->Get(k);
      if (v < 0 || static_cast<uint32_t>(v) >= n) {
        return Corrupt(OpText(i) + " output " + std::to_string(k) + " is value " + std::to_string(v) +
                       ", out of range [0, " + std::to_string(n) + ")");
      }
      if (producer_[v] != kUnavailable) {
        return Corrupt(OpText(i) + " writes " + ValueText(v) +
                       ", which is already a graph input, a constant or "
                       "another op's output");
      }
      producer_[v] = static_cast<int64_t>(i);
    }
    if (Size(op->attrs()) > kMaxAttrs) return Corrupt(OpText(i) + " has more than 32 attributes");
    for (uint32_t k = 0; k < Size(op->attrs()); ++k) {
      const fb::Attr* attr = op->attrs()->Get(k);
      if (!IsKnownAttrKey(attr->key())) {
        return Unsupported(ctx_.path + ": " + OpText(i) + " has attribute key " + AttrKeyName(attr->key()) +
                           ", unknown to this runtime");
      }
      const std::string what = OpText(i) + " attribute '" + AttrKeyName(attr->key()) + "'";
      QC_RETURN_IF_ERROR(CheckDatum(static_cast<uint8_t>(attr->value_type()), attr->value(), what));
      for (uint32_t j = 0; j < k; ++j) {
        if (op->attrs()->Get(j)->key() == attr->key()) return Corrupt(what + " appears twice");
      }
    }
    if (IsQuantizedOp(op->type())) QC_RETURN_IF_ERROR(CheckQuantizedOpRules(i));
    return Status::Ok();
  }

  // Quantized ops (format 1.1; QAttentionQkv 1.2; act_groups 1.3): every feature and runtime they need is declared,
  // operands and attributes follow format/qm_quant_rules.h.
  Status CheckQuantizedOpRules(uint32_t i) const {
    const fb::Op* op = m_.ops()->Get(i);
    const auto lookup = [&](AttrKey key) {
      QAttr a;
      for (uint32_t k = 0; k < Size(op->attrs()); ++k) {
        const fb::Attr* attr = op->attrs()->Get(k);
        if (attr->key() != key) continue;
        a.present = true;
        a.kind = static_cast<DatumKind>(attr->value_type());
        if (const fb::IntDatum* d = attr->value_as_IntDatum()) a.i = d->value();
        if (const fb::FloatDatum* d = attr->value_as_FloatDatum()) a.f = d->value();
      }
      return a;
    };
    const RuntimeVersion declared = RuntimeVersion::Unpack(m_.min_runtime_version());
    for (const QuantizedOpNeed& need : QuantizedOpNeeds(op->type(), lookup)) {
      bool listed = false;
      for (uint32_t k = 0; k < Size(m_.required_features()); ++k) {
        listed = listed || View(m_.required_features()->Get(k)) == need.feature;
      }
      if (!listed) return Corrupt(OpText(i) + UnlistedFeatureText(need));
      if (declared < need.runtime) return Corrupt(OpText(i) + OldRuntimeText(need, declared, "file"));
    }
    std::vector<QOperand> inputs(Size(op->inputs()));
    for (uint32_t k = 0; k < inputs.size(); ++k) {
      const int32_t v = op->inputs()->Get(k);
      if (v < 0) continue;
      const fb::Value* value = m_.values()->Get(static_cast<uint32_t>(v));
      QOperand& o = inputs[k];
      o.present = true;
      o.dtype = value->dtype();
      o.is_constant = value->data() != nullptr;
      for (uint32_t d = 0; d < Size(value->shape()); ++d) o.dims.push_back(value->shape()->Get(d));
    }
    const std::string why = CheckQuantizedOp(op->type(), inputs, lookup);
    if (!why.empty()) return Corrupt(OpText(i) + ": " + why);
    return Status::Ok();
  }

  // Union tag known, table present, sizes within limits.
  Status CheckDatum(uint8_t tag, const void* table, const std::string& what) const {
    if (!IsKnownDatumTag(tag)) {
      return Unsupported(ctx_.path + ": " + what + " has value type " + std::to_string(tag) +
                         ", unknown to this runtime");
    }
    if (table == nullptr) return Corrupt(what + " has no value");
    uint64_t count = 0;
    switch (static_cast<fb::Datum>(tag)) {
      case fb::Datum::IntDatum:
      case fb::Datum::FloatDatum:
        return Status::Ok();
      case fb::Datum::StringDatum: {
        const flatbuffers::String* s = static_cast<const fb::StringDatum*>(table)->value();
        if (s == nullptr) return Corrupt(what + " has no string");
        if (s->size() > kMaxTextBytes) return Corrupt(what + " is a string longer than 64 MiB");
        return Status::Ok();
      }
      case fb::Datum::IntListDatum: {
        const auto* v = static_cast<const fb::IntListDatum*>(table)->values();
        if (v == nullptr) return Corrupt(what + " has no list");
        count = v->size();
        break;
      }
      case fb::Datum::FloatListDatum: {
        const auto* v = static_cast<const fb::FloatListDatum*>(table)->values();
        if (v == nullptr) return Corrupt(what + " has no list");
        count = v->size();
        break;
      }
      case fb::Datum::StringListDatum: {
        const StringVec* v = static_cast<const fb::StringListDatum*>(table)->values();
        if (v == nullptr) return Corrupt(what + " has no list");
        count = v->size();
        for (uint32_t k = 0; k < v->size(); ++k) {
          if (v->Get(k)->size() > kMaxTextBytes)
            return Corrupt(what + " element " + std::to_string(k) + " is too long");
        }
        break;
      }
      case fb::Datum::BytesDatum: {
        const auto* v = static_cast<const fb::BytesDatum*>(table)->values();
        if (v == nullptr) return Corrupt(what + " has no bytes");
        if (v->size() > kMaxBytesDatum) return Corrupt(what + " holds more than 256 MiB");
        return Status::Ok();
      }
      case fb::Datum::NONE:
        break;
    }
    if (count > kMaxListElements) return Corrupt(what + " has " + std::to_string(count) + " elements, more than 2^24");
    return Status::Ok();
  }

  Status CheckMetadata() {
    const auto* entries = m_.metadata();
    if (Size(entries) > kMaxMetadataEntries) return Corrupt("more than 4096 metadata entries");
    for (uint32_t i = 0; i < Size(entries); ++i) {
      const fb::MetadataEntry* e = entries->Get(i);
      const std::string_view key = View(e->key());
      if (const char* why = CheckMetadataKey(key)) {
        return Corrupt("metadata key " + std::to_string(i) + " '" + std::string(key.substr(0, 64)) + "' " + why);
      }
      if (i > 0 && !(View(entries->Get(i - 1)->key()) < key)) {
        return Corrupt("metadata keys are not sorted and unique at '" + std::string(key) + "'");
      }
      const std::string what = "metadata '" + std::string(key) + "'";
      const uint8_t tag = static_cast<uint8_t>(e->value_type());
      QC_RETURN_IF_ERROR(CheckDatum(tag, e->value(), what));
      const StandardMetadataKey* standard = FindStandardMetadataKey(key);
      if (standard == nullptr) continue;
      if (static_cast<DatumKind>(tag) != standard->kind) {
        return Corrupt(what + " is " + DatumKindPhrase(static_cast<DatumKind>(tag)) + "; the format defines it as " +
                       DatumKindPhrase(standard->kind));
      }
      QC_RETURN_IF_ERROR(CheckStandardValue(key, tag, e->value(), what));
    }
    return Status::Ok();
  }

  Status CheckStandardValue(std::string_view key, uint8_t tag, const void* table, const std::string& what) const {
    const int64_t* ints = nullptr;
    const double* floats = nullptr;
    size_t n_ints = 0, n_floats = 0, list_size = 0;
    int64_t one_int = 0;
    double one_float = 0;
    switch (static_cast<fb::Datum>(tag)) {
      case fb::Datum::IntDatum:
        one_int = static_cast<const fb::IntDatum*>(table)->value();
        ints = &one_int, n_ints = 1;
        break;
      case fb::Datum::FloatDatum:
        one_float = static_cast<const fb::FloatDatum*>(table)->value();
        floats = &one_float, n_floats = 1;
        break;
      case fb::Datum::IntListDatum: {
        const auto* v = static_cast<const fb::IntListDatum*>(table)->values();
        ints = v->data(), n_ints = list_size = v->size();
        break;
      }
      case fb::Datum::FloatListDatum: {
        const auto* v = static_cast<const fb::FloatListDatum*>(table)->values();
        floats = v->data(), n_floats = list_size = v->size();
        break;
      }
      case fb::Datum::StringListDatum:
        list_size = static_cast<const fb::StringListDatum*>(table)->values()->size();
        break;
      default:
        break;
    }
    if (const char* why = CheckStandardMetadataValue(key, ints, n_ints, floats, n_floats, list_size)) {
      return Corrupt(what + " " + why);
    }
    return Status::Ok();
  }

  Status CheckProvenance() {
    if (View(m_.report_json()).size() > kMaxTextBytes) return Corrupt("report_json is longer than 64 MiB");
    const fb::Provenance* p = m_.provenance();
    if (p == nullptr) return Status::Ok();
    for (const flatbuffers::String* s : {p->producer_name(), p->producer_version(), p->command_line(),
                                         p->source_model_name(), p->source_model_hash(), p->calibration_data_hash()}) {
      if (View(s).size() > kMaxTextBytes) return Corrupt("a provenance string is longer than 64 MiB");
    }
    return Status::Ok();
  }

  Status CheckChecksums() const {
    const uint64_t blob_hash = Xxh3(ctx_.blob, ctx_.blob_size);
    if (blob_hash != m_.blob_xxh3()) {
      return Corrupt("blob section checksum mismatch (stored " + Hex64(m_.blob_xxh3()) + ", computed " +
                     Hex64(blob_hash) + ")");
    }
    for (uint32_t i = 0; i < Size(m_.values()); ++i) {
      const fb::TensorData* d = m_.values()->Get(i)->data();
      if (d == nullptr) continue;
      const uint64_t h = Xxh3(ctx_.blob + d->offset(), d->length());
      if (h != d->xxh3()) {
        return Corrupt(ValueText(i) + " data checksum mismatch at file offset " +
                       std::to_string(ctx_.preamble->blob_offset + d->offset()) + " (stored " + Hex64(d->xxh3()) +
                       ", computed " + Hex64(h) + ")");
      }
    }
    return Status::Ok();
  }

  static constexpr int64_t kUnavailable = -1;
  static constexpr int64_t kConstant = -2;
  static constexpr int64_t kGraphInput = -3;

  const fb::Model& m_;
  const CheckContext& ctx_;
  std::vector<int64_t> producer_;  // per value: producing op index, or one of the k* markers
};

}  // namespace

Status CheckModel(const fb::Model& model, const CheckContext& ctx, std::vector<uint32_t>* values_by_name) {
  return Checker(model, ctx).Run(values_by_name);
}

}  // namespace qc::qm::internal
