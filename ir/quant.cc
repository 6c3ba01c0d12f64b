#include "ir/quant.h"

#include <cmath>
#include <utility>

#include "ir/text_format.h"

namespace qc::ir {
namespace {

template <typename Enum>
using NameTable = std::pair<Enum, std::string_view>;

constexpr NameTable<WeightBits> kWeightBitsNames[] = {
    {WeightBits::kTernary, "t2"}, {WeightBits::kInt4, "i4"}, {WeightBits::kInt8, "i8"}, {WeightBits::kFloat32, "f32"}};
constexpr NameTable<WeightGranularity> kGranularityNames[] = {{WeightGranularity::kPerTensor, "per_tensor"},
                                                              {WeightGranularity::kPerRow, "per_row"},
                                                              {WeightGranularity::kPerGroup, "per_group"}};
constexpr NameTable<ActivationBits> kActivationBitsNames[] = {
    {ActivationBits::kInt8, "i8"}, {ActivationBits::kInt16, "i16"}, {ActivationBits::kFloat32, "f32"}};
constexpr NameTable<ActivationMode> kModeNames[] = {{ActivationMode::kStatic, "static"},
                                                    {ActivationMode::kDynamicPerTensor, "dynamic_per_tensor"},
                                                    {ActivationMode::kDynamicPerToken, "dynamic_per_token"}};

template <typename Enum, size_t N>
std::string_view NameOf(const NameTable<Enum> (&table)[N], Enum value) {
  for (const auto& [entry, name] : table) {
    if (entry == value) return name;
  }
  return "invalid";
}

template <typename Enum, size_t N>
Expected<Enum> Parse(const NameTable<Enum> (&table)[N], std::string_view text, std::string_view what) {
  std::string valid;
  for (const auto& [entry, name] : table) {
    if (name == text) return entry;
    valid += valid.empty() ? "" : ", ";
    valid += name;
  }
  return InvalidArgument("unknown " + std::string(what) + " '" + std::string(text) + "' (valid: " + valid + ")");
}

}  // namespace

std::string_view WeightBitsName(WeightBits bits) {
  return NameOf(kWeightBitsNames, bits);
}
std::string_view WeightGranularityName(WeightGranularity granularity) {
  return NameOf(kGranularityNames, granularity);
}
std::string_view ActivationBitsName(ActivationBits bits) {
  return NameOf(kActivationBitsNames, bits);
}
std::string_view ActivationModeName(ActivationMode mode) {
  return NameOf(kModeNames, mode);
}

Expected<WeightBits> ParseWeightBits(std::string_view text) {
  return Parse(kWeightBitsNames, text, "weight bits");
}
Expected<WeightGranularity> ParseWeightGranularity(std::string_view text) {
  return Parse(kGranularityNames, text, "weight granularity");
}
Expected<ActivationBits> ParseActivationBits(std::string_view text) {
  return Parse(kActivationBitsNames, text, "activation bits");
}
Expected<ActivationMode> ParseActivationMode(std::string_view text) {
  return Parse(kModeNames, text, "activation mode");
}

Status ValidateQuantAnnotation(const QuantAnnotation& annotation, std::string_view owner) {
  const std::string prefix = std::string(owner) + ": quantization annotation: ";
  if (annotation.weight) {
    const WeightQuant& w = *annotation.weight;
    if (WeightBitsName(w.bits) == "invalid") {
      return InvalidArgument(prefix + "invalid weight bits " + std::to_string(static_cast<int>(w.bits)));
    }
    if (WeightGranularityName(w.granularity) == "invalid") {
      return InvalidArgument(prefix + "invalid weight granularity " + std::to_string(static_cast<int>(w.granularity)));
    }
    const bool grouped = w.granularity == WeightGranularity::kPerGroup;
    if (grouped && w.group_size <= 0) {
      return InvalidArgument(prefix + "per_group weights need group_size > 0, got " + std::to_string(w.group_size));
    }
    if (!grouped && w.group_size != 0) {
      return InvalidArgument(prefix + "group_size " + std::to_string(w.group_size) + " set for " +
                             std::string(WeightGranularityName(w.granularity)) + " weights");
    }
  }
  if (annotation.activation) {
    const ActivationQuant& a = *annotation.activation;
    if (ActivationBitsName(a.bits) == "invalid") {
      return InvalidArgument(prefix + "invalid activation bits " + std::to_string(static_cast<int>(a.bits)));
    }
    if (ActivationModeName(a.mode) == "invalid") {
      return InvalidArgument(prefix + "invalid activation mode " + std::to_string(static_cast<int>(a.mode)));
    }
    if (a.clip && !(std::isfinite(*a.clip) && *a.clip > 0)) {
      return InvalidArgument(prefix + "activation clip must be finite and > 0, got " + FormatFloat(*a.clip));
    }
  }
  return Status::Ok();
}

std::string ToString(const QuantAnnotation& annotation) {
  std::string text;
  if (annotation.weight) {
    const WeightQuant& w = *annotation.weight;
    text += "w=" + std::string(WeightBitsName(w.bits)) + "/" + std::string(WeightGranularityName(w.granularity));
    if (w.granularity == WeightGranularity::kPerGroup) text += "/group=" + std::to_string(w.group_size);
  }
  if (annotation.activation) {
    const ActivationQuant& a = *annotation.activation;
    if (!text.empty()) text += ' ';
    text += "a=" + std::string(ActivationBitsName(a.bits)) + "/" + std::string(ActivationModeName(a.mode));
    if (a.clip) text += "/clip=" + FormatFloat(*a.clip);
  }
  return text;
}

}  // namespace qc::ir
