#include "ir/attributes.h"

#include "ir/text_format.h"

namespace qc::ir {
namespace {

struct AttrInfo {
  std::string_view name;
  AttrKind kind;
};

constexpr AttrInfo kAttrInfo[] = {
#define QC_IR_ATTR(name, text, kind) {text, AttrKind::kind},
#include "ir/attr_names.inc"
#undef QC_IR_ATTR
};
static_assert(sizeof(kAttrInfo) / sizeof(kAttrInfo[0]) == kNumAttrNames);

bool IsValid(AttrName name) {
  return static_cast<size_t>(name) < kNumAttrNames;
}

// Which variant alternative each kind is stored in.
size_t StorageIndex(AttrKind kind) {
  switch (kind) {
    case AttrKind::kInt:
      return 0;
    case AttrKind::kFloat:
      return 1;
    case AttrKind::kString:
      return 2;
    case AttrKind::kInts:
      return 3;
    case AttrKind::kFloats:
      return 4;
    case AttrKind::kGeluApproximation:
      return 0;
  }
  return 0;
}

// Kind name of what is actually stored, for "is <stored>, expected <kind>" messages.
std::string_view StoredKindName(const AttrValue& value) {
  static constexpr std::string_view kNames[] = {"int", "float", "string", "ints", "floats"};
  return kNames[value.index()];
}

template <typename T, typename Format>
std::string ListToString(const std::vector<T>& values, Format format) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ", ";
    text += format(values[i]);
  }
  text += ']';
  return text;
}

}  // namespace

std::string_view AttrNameText(AttrName name) {
  return IsValid(name) ? kAttrInfo[static_cast<size_t>(name)].name : std::string_view("invalid");
}

Expected<AttrName> ParseAttrName(std::string_view text) {
  for (size_t i = 0; i < kNumAttrNames; ++i) {
    if (kAttrInfo[i].name == text) return static_cast<AttrName>(i);
  }
  return InvalidArgument("unknown IR attribute '" + std::string(text) + "'");
}

AttrKind GetAttrKind(AttrName name) {
  return IsValid(name) ? kAttrInfo[static_cast<size_t>(name)].kind : AttrKind::kInt;
}

std::string_view AttrKindName(AttrKind kind) {
  switch (kind) {
    case AttrKind::kInt:
      return "int";
    case AttrKind::kFloat:
      return "float";
    case AttrKind::kString:
      return "string";
    case AttrKind::kInts:
      return "ints";
    case AttrKind::kFloats:
      return "floats";
    case AttrKind::kGeluApproximation:
      return "gelu_approximation";
  }
  return "invalid";
}

std::string_view GeluApproximationName(GeluApproximation approximation) {
  switch (approximation) {
    case GeluApproximation::kNone:
      return "none";
    case GeluApproximation::kTanh:
      return "tanh";
  }
  return "invalid";
}

Expected<GeluApproximation> ParseGeluApproximation(std::string_view text) {
  if (text == "none") return GeluApproximation::kNone;
  if (text == "tanh") return GeluApproximation::kTanh;
  return InvalidArgument("unknown Gelu approximation '" + std::string(text) + "' (valid: none, tanh)");
}

Status CheckAttrValue(AttrName name, const AttrValue& value, std::string_view owner) {
  const std::string where = std::string(owner) + ": attribute '" + std::string(AttrNameText(name)) + "'";
  if (!IsValid(name)) return InvalidArgument(std::string(owner) + ": invalid attribute key");
  const AttrKind kind = GetAttrKind(name);
  if (value.index() != StorageIndex(kind)) {
    return InvalidArgument(where + " is " + std::string(StoredKindName(value)) + ", expected " +
                           std::string(AttrKindName(kind)));
  }
  if (kind == AttrKind::kGeluApproximation) {
    const int64_t raw = std::get<int64_t>(value);
    if (raw != static_cast<int64_t>(GeluApproximation::kNone) &&
        raw != static_cast<int64_t>(GeluApproximation::kTanh)) {
      return InvalidArgument(where + " holds " + std::to_string(raw) + ", not a Gelu approximation (0 none, 1 tanh)");
    }
  }
  return Status::Ok();
}

std::string AttrValueToString(AttrName name, const AttrValue& value) {
  if (GetAttrKind(name) == AttrKind::kGeluApproximation && value.index() == 0) {
    return std::string(GeluApproximationName(static_cast<GeluApproximation>(std::get<int64_t>(value))));
  }
  switch (value.index()) {
    case 0:
      return std::to_string(std::get<int64_t>(value));
    case 1:
      return FormatFloat(std::get<double>(value));
    case 2:
      return QuoteString(std::get<std::string>(value));
    case 3:
      return ListToString(std::get<3>(value), [](int64_t v) { return std::to_string(v); });
    default:
      return ListToString(std::get<4>(value), FormatFloat);
  }
}

const AttrValue* Attributes::Find(AttrName name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

template <typename T>
Expected<T> Attributes::Get(AttrName name, AttrKind kind, std::string_view owner) const {
  const AttrValue* value = Find(name);
  if (value == nullptr) {
    return NotFound(std::string(owner) + ": attribute '" + std::string(AttrNameText(name)) + "' is missing");
  }
  if (GetAttrKind(name) != kind) {
    return InvalidArgument(std::string(owner) + ": attribute '" + std::string(AttrNameText(name)) + "' is a " +
                           std::string(AttrKindName(GetAttrKind(name))) + " key, read as " +
                           std::string(AttrKindName(kind)));
  }
  QC_RETURN_IF_ERROR(CheckAttrValue(name, *value, owner));
  return std::get<T>(*value);
}

Expected<int64_t> Attributes::GetInt(AttrName name, std::string_view owner) const {
  return Get<int64_t>(name, AttrKind::kInt, owner);
}
Expected<double> Attributes::GetFloat(AttrName name, std::string_view owner) const {
  return Get<double>(name, AttrKind::kFloat, owner);
}
Expected<std::string> Attributes::GetString(AttrName name, std::string_view owner) const {
  return Get<std::string>(name, AttrKind::kString, owner);
}
Expected<std::vector<int64_t>> Attributes::GetInts(AttrName name, std::string_view owner) const {
  return Get<std::vector<int64_t>>(name, AttrKind::kInts, owner);
}
Expected<std::vector<double>> Attributes::GetFloats(AttrName name, std::string_view owner) const {
  return Get<std::vector<double>>(name, AttrKind::kFloats, owner);
}
Expected<GeluApproximation> Attributes::GetGeluApproximation(AttrName name, std::string_view owner) const {
  QC_ASSIGN_OR_RETURN(int64_t raw, Get<int64_t>(name, AttrKind::kGeluApproximation, owner));
  return static_cast<GeluApproximation>(raw);
}

}  // namespace qc::ir
