#include "ir/quant.h"

#include <cmath>
#include <limits>
#include <string>
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
    if (a.groups < 1 || a.groups > kMaxActGroups) {
      return InvalidArgument(prefix + "activation groups must be in [1, " + std::to_string(kMaxActGroups) + "], got " +
                             std::to_string(a.groups));
    }
    if (a.groups > 1 && a.mode == ActivationMode::kStatic) {
      return InvalidArgument(prefix + "activation groups need a dynamic mode (a static scale is one amax)");
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
    if (a.groups != 1) text += "/groups=" + std::to_string(a.groups);
  }
  return text;
}

std::string_view QWeightFormatName(QWeightFormat format) {
  switch (format) {
    case QWeightFormat::kT2R4K128:
      return "t2_r4k128";
    case QWeightFormat::kI4:
      return "i4";
    case QWeightFormat::kI8:
      return "i8";
  }
  return "invalid";
}

std::string_view QActGranularityName(QActGranularity granularity) {
  switch (granularity) {
    case QActGranularity::kPerToken:
      return "per_token";
    case QActGranularity::kPerTensor:
      return "per_tensor";
    case QActGranularity::kStatic:
      return "static";
  }
  return "invalid";
}

std::string_view QEpilogueName(QEpilogue epilogue) {
  switch (epilogue) {
    case QEpilogue::kNone:
      return "none";
    case QEpilogue::kGeluErf:
      return "gelu_erf";
    case QEpilogue::kGeluTanh:
      return "gelu_tanh";
  }
  return "invalid";
}

namespace {

template <typename E>
Expected<E> EnumFromInt(int64_t value, std::string_view (*name)(E), std::string_view owner, const char* attr,
                        const char* allowed) {
  const auto e = static_cast<E>(value);
  if (name(e) != "invalid") return e;
  return InvalidArgument(std::string(owner) + ": attribute '" + attr + "' = " + std::to_string(value) +
                         " is not one of " + allowed);
}

}  // namespace

Expected<QWeightFormat> QWeightFormatFromInt(int64_t value, std::string_view owner) {
  return EnumFromInt(value, &QWeightFormatName, owner, "weight_format", "1 (t2_r4k128), 2 (i4), 3 (i8)");
}

Expected<QActGranularity> QActGranularityFromInt(int64_t value, std::string_view owner) {
  return EnumFromInt(value, &QActGranularityName, owner, "act_granularity",
                     "1 (per_token), 2 (per_tensor), 3 (static)");
}

Expected<QEpilogue> QEpilogueFromInt(int64_t value, std::string_view owner) {
  return EnumFromInt(value, &QEpilogueName, owner, "epilogue", "0 (none), 1 (gelu_erf), 2 (gelu_tanh)");
}

int64_t QWeightMaxK(QWeightFormat format) {
  switch (format) {
    case QWeightFormat::kT2R4K128:
      return int64_t{1} << 23;  // kT2MaxK: 254 * 2^23 < 2^31
    case QWeightFormat::kI4:
      return int64_t{1} << 20;  // kI4MaxK: 15 * 128 * 2^20 < 2^31
    case QWeightFormat::kI8:
      return int64_t{1} << 16;  // kI8MaxK: 255 * 128 * 2^16 < 2^31
  }
  return 0;
}

Expected<int64_t> QWeightPackedBytes(QWeightFormat format, int64_t n, int64_t k, int64_t groups,
                                     std::string_view owner) {
  if (groups < 1 || groups > kMaxActGroups || k <= 0 || k % groups != 0) {
    return InvalidArgument(std::string(owner) + ": act_groups " + std::to_string(groups) + " must be in [1, " +
                           std::to_string(kMaxActGroups) + "] and divide in_features " + std::to_string(k));
  }
  QC_ASSIGN_OR_RETURN(int64_t slice, QWeightPackedBytes(format, n, k / groups, owner));
  if (slice > std::numeric_limits<int64_t>::max() / groups) {
    return InvalidArgument(std::string(owner) + ": packed weight size overflows");
  }
  return slice * groups;
}

Expected<int64_t> QWeightPackedBytes(QWeightFormat format, int64_t n, int64_t k, std::string_view owner) {
  const std::string prefix = std::string(owner) + ": ";
  if (n <= 0 || k <= 0) {
    return InvalidArgument(prefix + "packed weight sizes must be > 0, got n = " + std::to_string(n) +
                           ", k = " + std::to_string(k));
  }
  const int64_t max_k = QWeightMaxK(format);
  if (max_k > 0 && k > max_k) {
    return InvalidArgument(prefix + "in_features " + std::to_string(k) + " exceeds the " +
                           std::string(QWeightFormatName(format)) + " limit " + std::to_string(max_k));
  }
  switch (format) {
    case QWeightFormat::kT2R4K128: {
      // Duplicate of runtime/quant/t2_pack.h T2PackedBytes (the IR does not depend on the runtime; a test in
      // tests/quantized/ checks the two agree): ceil(n/4) row groups x ceil(k/128) blocks x 128 bytes.
      const int64_t groups = (n + 3) / 4;
      const int64_t blocks = (k + 127) / 128;
      if (groups > std::numeric_limits<int64_t>::max() / 128 / blocks) {
        return InvalidArgument(prefix + "packed weight size overflows");
      }
      return groups * blocks * 128;
    }
    case QWeightFormat::kI4:
    case QWeightFormat::kI8: {
      // Duplicates of runtime/quant/i4_pack.h I4PackedBytes / i8_pack.h I8PackedBytes: ceil(n/4) row groups x
      // ceil(k/128) blocks x 256 (int4) or 512 (int8) bytes. k <= max_k keeps the product far from overflow.
      const int64_t block_bytes = format == QWeightFormat::kI4 ? 256 : 512;
      const int64_t groups = (n + 3) / 4;
      const int64_t blocks = (k + 127) / 128;
      if (groups > std::numeric_limits<int64_t>::max() / block_bytes / blocks) {
        return InvalidArgument(prefix + "packed weight size overflows");
      }
      return groups * blocks * block_bytes;
    }
  }
  return Unsupported(prefix + "weight_format " + std::string(QWeightFormatName(format)) +
                       " has no packed layout in this build");
}

}  // namespace qc::ir
