#include "importers/hf/image_config.h"

#include <cmath>

#include "importers/hf/json_util.h"

namespace qc::hf {
namespace {

using nlohmann::json;

constexpr int64_t kMaxSide = int64_t{1} << 16;

// image_mean / image_std: a number (every channel) or one number per channel.
Expected<std::vector<double>> PerChannel(const JsonObject& c, std::string_view key, int64_t channels, double fallback) {
  const json* value = c.Find(key);
  const auto n = static_cast<size_t>(channels);
  if (value == nullptr || value->is_null()) return std::vector<double>(n, fallback);
  if (const std::optional<double> scalar = JsonToFloat(*value)) return std::vector<double>(n, *scalar);
  if (!value->is_array()) return c.WrongType(key, "a number or a list of numbers");
  if (value->size() != n) {
    return c.BadValue(key,
                      "has " + std::to_string(value->size()) + " values for " + std::to_string(channels) + " channels");
  }
  std::vector<double> out;
  for (const json& v : *value) {
    const std::optional<double> d = JsonToFloat(v);
    if (!d || !std::isfinite(*d)) return c.BadValue(key, "contains a value that is not a finite number");
    out.push_back(*d);
  }
  return out;
}

}  // namespace

std::vector<double> HfImageSpec::EffectiveMean() const {
  return do_normalize ? mean : std::vector<double>(mean.size(), 0.0);
}

std::vector<double> HfImageSpec::EffectiveStd() const {
  return do_normalize ? std : std::vector<double>(std.size(), 1.0);
}

Expected<HfImageSpec> ParseHfImageSpec(std::string_view json_text, const std::string& path, int64_t num_channels,
                                       int64_t default_height, int64_t default_width) {
  if (num_channels < 1 || num_channels > 64) {
    return InvalidArgument(path + ": num_channels " + std::to_string(num_channels) + " is out of range [1, 64]");
  }
  QC_ASSIGN_OR_RETURN(json doc, ParseJson(json_text, path));
  const JsonObject c(doc, path);
  QC_RETURN_IF_ERROR(c.CheckIsObject());
  HfImageSpec spec;
  spec.source = path;
  QC_ASSIGN_OR_RETURN(std::optional<std::string> type, c.OptionalString("image_processor_type"));
  if (!type) {
    QC_ASSIGN_OR_RETURN(type, c.OptionalString("feature_extractor_type"));
  }
  spec.processor_type = type.value_or("");

  QC_ASSIGN_OR_RETURN(std::optional<bool> do_resize, c.OptionalBool("do_resize"));
  spec.do_resize = do_resize.value_or(true);
  spec.height = default_height;
  spec.width = default_width;
  if (const json* size = c.Find("size"); size != nullptr && !size->is_null()) {
    if (const std::optional<int64_t> side = JsonToInt(*size)) {
      spec.height = spec.width = *side;
    } else if (size->is_object()) {
      const JsonObject s(*size, path, "size");
      if (s.Has("shortest_edge") || s.Has("longest_edge")) {
        return Unsupported(c.Describe("size") +
                           " uses shortest_edge / longest_edge resizing; only a fixed {height, width} is supported");
      }
      QC_ASSIGN_OR_RETURN(spec.height, s.RequireInt("height"));
      QC_ASSIGN_OR_RETURN(spec.width, s.RequireInt("width"));
    } else {
      return c.WrongType("size", "an integer or an object with height and width");
    }
  }
  if (spec.height < 1 || spec.height > kMaxSide || spec.width < 1 || spec.width > kMaxSide) {
    return c.BadValue("size", std::to_string(spec.height) + "x" + std::to_string(spec.width) + " is out of range");
  }
  QC_ASSIGN_OR_RETURN(std::optional<bool> center_crop, c.OptionalBool("do_center_crop"));
  if (center_crop.value_or(false)) {
    return Unsupported(c.Describe("do_center_crop") + " is true; center cropping is not supported");
  }
  QC_ASSIGN_OR_RETURN(std::optional<int64_t> resample, c.OptionalInt("resample"));
  spec.resample = resample.value_or(2);
  if (spec.resample < 0 || spec.resample > 5) return c.BadValue("resample", "is not a PIL filter code (0-5)");

  QC_ASSIGN_OR_RETURN(std::optional<bool> do_rescale, c.OptionalBool("do_rescale"));
  spec.do_rescale = do_rescale.value_or(true);
  QC_ASSIGN_OR_RETURN(std::optional<double> rescale, c.OptionalFloat("rescale_factor"));
  spec.rescale_factor = rescale.value_or(1.0 / 255.0);
  if (!std::isfinite(spec.rescale_factor) || spec.rescale_factor <= 0) {
    return c.BadValue("rescale_factor", "must be finite and > 0");
  }

  QC_ASSIGN_OR_RETURN(std::optional<bool> do_normalize, c.OptionalBool("do_normalize"));
  spec.do_normalize = do_normalize.value_or(true);
  QC_ASSIGN_OR_RETURN(spec.mean, PerChannel(c, "image_mean", num_channels, 0.5));
  QC_ASSIGN_OR_RETURN(spec.std, PerChannel(c, "image_std", num_channels, 0.5));
  for (double s : spec.std) {
    if (!(s > 0)) return c.BadValue("image_std", "contains a value <= 0");
  }
  return spec;
}

Expected<HfImageSpec> ReadHfImageSpec(const std::string& path, int64_t num_channels, int64_t default_height,
                                      int64_t default_width) {
  QC_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxJsonFileBytes));
  return ParseHfImageSpec(text, path, num_channels, default_height, default_width);
}

}  // namespace qc::hf
