// Accessors of a verified .qm file (QmFile, QmValue, QmOp, QmDatum). Everything here relies on QmFile::FromMapping
// having checked the file (format/qm_check.cc): indices are in range, required tables and vectors are present.
#include <algorithm>

#include "format/qm_reader.h"

namespace qc::qm {
namespace {

std::string_view View(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : s->string_view();
}

template <typename T>
ConstSpan<T> SpanOf(const flatbuffers::Vector<T>* v) {
  if (v == nullptr) return {};
  return ConstSpan<T>{v->data(), v->size()};
}

}  // namespace

// ---- QmStringList / QmDatum -----------------------------------------------------------------------------------

size_t QmStringList::size() const {
  return v_ == nullptr ? 0 : v_->size();
}
std::string_view QmStringList::operator[](size_t i) const {
  return v_->Get(static_cast<uint32_t>(i))->string_view();
}

Status QmDatum::KindError(DatumKind wanted) const {
  return InvalidArgument("is " + DatumKindPhrase(kind()) + ", not " + DatumKindPhrase(wanted));
}

Expected<int64_t> QmDatum::AsInt() const {
  if (kind() != DatumKind::kInt) return KindError(DatumKind::kInt);
  return static_cast<const fb::IntDatum*>(table_)->value();
}

Expected<double> QmDatum::AsFloat() const {
  if (kind() == DatumKind::kInt) return static_cast<double>(static_cast<const fb::IntDatum*>(table_)->value());
  if (kind() != DatumKind::kFloat) return KindError(DatumKind::kFloat);
  return static_cast<const fb::FloatDatum*>(table_)->value();
}

Expected<std::string_view> QmDatum::AsString() const {
  if (kind() != DatumKind::kString) return KindError(DatumKind::kString);
  return static_cast<const fb::StringDatum*>(table_)->value()->string_view();
}

Expected<ConstSpan<int64_t>> QmDatum::AsIntList() const {
  if (kind() != DatumKind::kIntList) return KindError(DatumKind::kIntList);
  return SpanOf(static_cast<const fb::IntListDatum*>(table_)->values());
}

Expected<ConstSpan<double>> QmDatum::AsFloatList() const {
  if (kind() != DatumKind::kFloatList) return KindError(DatumKind::kFloatList);
  return SpanOf(static_cast<const fb::FloatListDatum*>(table_)->values());
}

Expected<QmStringList> QmDatum::AsStringList() const {
  if (kind() != DatumKind::kStringList) return KindError(DatumKind::kStringList);
  return QmStringList(static_cast<const fb::StringListDatum*>(table_)->values());
}

Expected<ConstSpan<uint8_t>> QmDatum::AsBytes() const {
  if (kind() != DatumKind::kBytes) return KindError(DatumKind::kBytes);
  return SpanOf(static_cast<const fb::BytesDatum*>(table_)->values());
}

// ---- QmValue --------------------------------------------------------------------------------------------------

std::string_view QmValue::name() const {
  return View(v_->name());
}
DType QmValue::dtype() const {
  return v_->dtype();
}
size_t QmValue::rank() const {
  return v_->shape() == nullptr ? 0 : v_->shape()->size();
}

QmDim QmValue::dim(size_t i) const {
  const int64_t d = v_->shape()->Get(static_cast<uint32_t>(i));
  QmDim dim;
  if (d >= 0) {
    dim.size = d;
  } else {
    dim.symbolic = true;
    dim.symbol = View(model_->dim_symbols()->Get(static_cast<uint32_t>(-1 - d)));
  }
  return dim;
}

bool QmValue::has_fixed_shape() const {
  for (size_t i = 0; i < rank(); ++i) {
    if (v_->shape()->Get(static_cast<uint32_t>(i)) < 0) return false;
  }
  return true;
}

bool QmValue::is_constant() const {
  return v_->data() != nullptr;
}
const uint8_t* QmValue::data() const {
  return is_constant() ? blob_ + v_->data()->offset() : nullptr;
}
uint64_t QmValue::byte_size() const {
  return is_constant() ? v_->data()->length() : 0;
}
uint64_t QmValue::blob_offset() const {
  return is_constant() ? v_->data()->offset() : 0;
}
uint32_t QmValue::alignment() const {
  return is_constant() ? v_->data()->alignment() : 0;
}
uint64_t QmValue::data_xxh3() const {
  return is_constant() ? v_->data()->xxh3() : 0;
}

std::optional<QmQuantParams> QmValue::quant() const {
  const fb::QuantParams* q = v_->quant();
  if (q == nullptr) return std::nullopt;
  QmQuantParams p;
  p.bits = q->bits();
  p.granularity = q->granularity();
  p.axis = q->axis();
  p.group_size = q->group_size();
  p.scale_value = q->scale();
  p.zero_point_value = q->zero_point();
  return p;
}

// ---- QmOp -----------------------------------------------------------------------------------------------------

OpType QmOp::type() const {
  return op_->type();
}
uint16_t QmOp::version() const {
  return op_->version();
}
std::string_view QmOp::name() const {
  return View(op_->name());
}
size_t QmOp::num_inputs() const {
  return op_->inputs() == nullptr ? 0 : op_->inputs()->size();
}
int32_t QmOp::input(size_t i) const {
  return op_->inputs()->Get(static_cast<uint32_t>(i));
}
size_t QmOp::num_outputs() const {
  return op_->outputs() == nullptr ? 0 : op_->outputs()->size();
}
int32_t QmOp::output(size_t i) const {
  return op_->outputs()->Get(static_cast<uint32_t>(i));
}
size_t QmOp::num_attrs() const {
  return op_->attrs() == nullptr ? 0 : op_->attrs()->size();
}
AttrKey QmOp::attr_key(size_t i) const {
  return op_->attrs()->Get(static_cast<uint32_t>(i))->key();
}

QmDatum QmOp::attr_value(size_t i) const {
  const fb::Attr* a = op_->attrs()->Get(static_cast<uint32_t>(i));
  return QmDatum(static_cast<uint8_t>(a->value_type()), a->value());
}

std::optional<QmDatum> QmOp::FindAttr(AttrKey key) const {
  for (size_t i = 0; i < num_attrs(); ++i) {
    if (attr_key(i) == key) return attr_value(i);
  }
  return std::nullopt;
}

std::string QmOp::Describe() const {
  return "op " + std::to_string(index_) + " '" + std::string(name()) + "' (" + OpTypeName(type()) + " v" +
         std::to_string(version()) + ")";
}

Expected<QmDatum> QmOp::Lookup(AttrKey key) const {
  std::optional<QmDatum> d = FindAttr(key);
  if (!d) return NotFound(Describe() + ": attribute '" + AttrKeyName(key) + "' is missing");
  return *d;
}

namespace {
// Adds "op ...: attribute 'k' " to a kind mismatch; such a file breaks the op's definition, hence kCorruptData.
template <typename T>
Expected<T> WithAttrContext(Expected<T> r, const QmOp& op, AttrKey key) {
  if (r.ok()) return r;
  return CorruptData(op.Describe() + ": attribute '" + AttrKeyName(key) + "' " + r.status().message());
}
}  // namespace

Expected<int64_t> QmOp::GetInt(AttrKey key) const {
  QC_ASSIGN_OR_RETURN(QmDatum d, Lookup(key));
  return WithAttrContext(d.AsInt(), *this, key);
}
Expected<double> QmOp::GetFloat(AttrKey key) const {
  QC_ASSIGN_OR_RETURN(QmDatum d, Lookup(key));
  return WithAttrContext(d.AsFloat(), *this, key);
}
Expected<std::string_view> QmOp::GetString(AttrKey key) const {
  QC_ASSIGN_OR_RETURN(QmDatum d, Lookup(key));
  return WithAttrContext(d.AsString(), *this, key);
}
Expected<ConstSpan<int64_t>> QmOp::GetIntList(AttrKey key) const {
  QC_ASSIGN_OR_RETURN(QmDatum d, Lookup(key));
  return WithAttrContext(d.AsIntList(), *this, key);
}
Expected<ConstSpan<double>> QmOp::GetFloatList(AttrKey key) const {
  QC_ASSIGN_OR_RETURN(QmDatum d, Lookup(key));
  return WithAttrContext(d.AsFloatList(), *this, key);
}

// ---- QmFile ---------------------------------------------------------------------------------------------------

size_t QmFile::num_required_features() const {
  return !loaded() || model_->required_features() == nullptr ? 0 : model_->required_features()->size();
}
std::string_view QmFile::required_feature(size_t i) const {
  return View(model_->required_features()->Get(static_cast<uint32_t>(i)));
}

Status QmFile::CheckRequiredFeatures(const std::vector<std::string_view>& supported) const {
  for (size_t i = 0; i < num_required_features(); ++i) {
    const std::string_view f = required_feature(i);
    if (std::find(supported.begin(), supported.end(), f) == supported.end()) {
      return Unsupported(path() + ": model requires feature '" + std::string(f) +
                         "', which this runtime does not provide (the model asks for runtime >= " +
                         min_runtime_version().ToString() + ")");
    }
  }
  return Status::Ok();
}

size_t QmFile::num_dim_symbols() const {
  return !loaded() || model_->dim_symbols() == nullptr ? 0 : model_->dim_symbols()->size();
}
std::string_view QmFile::dim_symbol(size_t i) const {
  return View(model_->dim_symbols()->Get(static_cast<uint32_t>(i)));
}

uint32_t QmFile::num_values() const {
  return !loaded() || model_->values() == nullptr ? 0 : model_->values()->size();
}
QmValue QmFile::value(uint32_t i) const {
  return QmValue(model_, model_->values()->Get(i), blob_data(), i);
}

Expected<uint32_t> QmFile::FindValue(std::string_view name) const {
  const auto it = std::lower_bound(values_by_name_.begin(), values_by_name_.end(), name,
                                   [&](uint32_t i, std::string_view n) { return value(i).name() < n; });
  if (it == values_by_name_.end() || value(*it).name() != name) {
    return NotFound(path() + ": no value named '" + std::string(name) + "'");
  }
  return *it;
}

uint32_t QmFile::num_ops() const {
  return !loaded() || model_->ops() == nullptr ? 0 : model_->ops()->size();
}
QmOp QmFile::op(uint32_t i) const {
  return QmOp(model_->ops()->Get(i), i);
}
ConstSpan<uint32_t> QmFile::inputs() const {
  return loaded() ? SpanOf(model_->inputs()) : ConstSpan<uint32_t>{};
}
ConstSpan<uint32_t> QmFile::outputs() const {
  return loaded() ? SpanOf(model_->outputs()) : ConstSpan<uint32_t>{};
}

size_t QmFile::num_metadata() const {
  return !loaded() || model_->metadata() == nullptr ? 0 : model_->metadata()->size();
}
std::string_view QmFile::metadata_key(size_t i) const {
  return View(model_->metadata()->Get(static_cast<uint32_t>(i))->key());
}
QmDatum QmFile::metadata_value(size_t i) const {
  const fb::MetadataEntry* e = model_->metadata()->Get(static_cast<uint32_t>(i));
  return QmDatum(static_cast<uint8_t>(e->value_type()), e->value());
}

Expected<QmDatum> QmFile::FindMetadata(std::string_view key) const {
  size_t lo = 0, hi = num_metadata();  // keys are sorted (verified at load)
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const std::string_view k = metadata_key(mid);
    if (k == key) return metadata_value(mid);
    if (k < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return NotFound(path() + ": no metadata key '" + std::string(key) + "'");
}

namespace {
template <typename T>
Expected<T> WithKeyContext(Expected<T> r, const std::string& path, std::string_view key) {
  if (r.ok()) return r;
  return InvalidArgument(path + ": metadata '" + std::string(key) + "' " + r.status().message());
}
}  // namespace

#define QC_QM_METADATA_GETTER(Name, Type, As)                            \
  Expected<Type> QmFile::GetMetadata##Name(std::string_view key) const { \
    QC_ASSIGN_OR_RETURN(QmDatum d, FindMetadata(key));                   \
    return WithKeyContext(d.As(), path(), key);                          \
  }
QC_QM_METADATA_GETTER(Int, int64_t, AsInt)
QC_QM_METADATA_GETTER(Float, double, AsFloat)
QC_QM_METADATA_GETTER(String, std::string_view, AsString)
QC_QM_METADATA_GETTER(IntList, ConstSpan<int64_t>, AsIntList)
QC_QM_METADATA_GETTER(FloatList, ConstSpan<double>, AsFloatList)
QC_QM_METADATA_GETTER(StringList, QmStringList, AsStringList)
QC_QM_METADATA_GETTER(Bytes, ConstSpan<uint8_t>, AsBytes)
#undef QC_QM_METADATA_GETTER

QmProvenance QmFile::provenance() const {
  QmProvenance p;
  const fb::Provenance* src = loaded() ? model_->provenance() : nullptr;
  if (src == nullptr) return p;
  p.producer_name = View(src->producer_name());
  p.producer_version = View(src->producer_version());
  p.command_line = View(src->command_line());
  p.source_model_name = View(src->source_model_name());
  p.source_model_hash = View(src->source_model_hash());
  p.calibration_data_hash = View(src->calibration_data_hash());
  if (src->has_seed()) p.seed = src->seed();
  return p;
}

std::string_view QmFile::report_json() const {
  return loaded() ? View(model_->report_json()) : std::string_view();
}

}  // namespace qc::qm
