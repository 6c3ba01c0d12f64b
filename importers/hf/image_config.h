// importers/hf/image_config.h: a ViT `preprocessor_config.json` as plain data (resize, rescale, normalise).
//
// Overview
//   Accepts the ViTImageProcessor / ViTFeatureExtractor keys: do_resize + size ({"height", "width"} or an int; a
//   {"shortest_edge"} size or do_center_crop = true is Unsupported: that is another pipeline), resample (PIL code,
//   default 2 = bilinear), do_rescale + rescale_factor (default 1/255), do_normalize + image_mean / image_std (a number
//   or one value per channel; default 0.5 each; std must be > 0). A missing size defaults to the model's image size.
//   The Effective*() accessors fold the do_* switches in, so a consumer can always compute
//   `(pixel * rescale - mean[c]) / std[c]` after resizing to (height, width).
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::hf::HfImageSpec image,
//                       qc::hf::ReadHfImageSpec("vit-dir/preprocessor_config.json", /*num_channels=*/3, 224, 224));
//   std::vector<double> mean = image.EffectiveMean();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qcompress/status.h"

namespace qc::hf {

struct HfImageSpec {
  std::string source;          ///< the file read
  std::string processor_type;  ///< image_processor_type / feature_extractor_type, "" if absent
  bool do_resize = true;
  int64_t height = 224;
  int64_t width = 224;
  int64_t resample = 2;  ///< PIL resampling filter code
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::vector<double> mean;  ///< one per channel
  std::vector<double> std;   ///< one per channel

  /// mean if do_normalize, else zeros.
  std::vector<double> EffectiveMean() const;
  /// std if do_normalize, else ones.
  std::vector<double> EffectiveStd() const;
  /// rescale_factor if do_rescale, else 1.
  double EffectiveRescale() const { return do_rescale ? rescale_factor : 1.0; }
};

/// Reads preprocessor_config.json. `num_channels` sizes the mean/std lists; `default_height` / `default_width` apply
/// when the file has no size.
Expected<HfImageSpec> ReadHfImageSpec(const std::string& path, int64_t num_channels, int64_t default_height,
                                      int64_t default_width);
/// The same for text in memory; `path` for messages.
Expected<HfImageSpec> ParseHfImageSpec(std::string_view json_text, const std::string& path, int64_t num_channels,
                                       int64_t default_height, int64_t default_width);

}  // namespace qc::hf
