// qat/data/image_data.h: labeled image datasets for ViT training (NumPy arrays or PNG/JPEG folders). Torch-free.
//
// Overview
//   A dataset is a folder, in one of two forms:
//   - images.npy and labels.npy (written by numpy.save):
//       images.npy  uint8 or float32/float64, [N, H, W] (one channel), [N, C, H, W] or [N, H, W, C] (the first
//                   that fits the model wins when both do)
//       labels.npy  integer class indices (int64/int32/uint8 ...), [N]
//   - one subfolder of PNG/JPEG files per class (ImageFolder; decoding and the class-index rules:
//     qat/data/image_files.h).
//   Pixels are raw values; they are normalised exactly as the runtime does for RunImages (the model's image.*
//   metadata): (p * rescale_factor - mean[c]) / std[c]. Images must already have the model's size: like the
//   runtime, training does not resize (an error names the file, the shape found and the size wanted).
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::qat::ImageSpecOfModel spec, qc::qat::ImageSpecFromGraph(graph));
//   QC_ASSIGN_OR_RETURN(auto train, qc::qat::ReadImageDataset("digits/train", spec));   // EncodedExample.pixels
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "qat/data/glue_data.h"
#include "qcompress/status.h"

namespace qc::qat {

/// A NumPy array: its shape and its elements widened to double (images and labels are small).
struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<double> values;
};
/// Reads a .npy file (format 1.0-3.0, C order, little-endian b1/u1/i1/u2/i2/u4/i4/u8/i8/f4/f8).
Expected<NpyArray> ReadNpy(const std::string& path);

struct ImageSpecOfModel {
  int64_t channels = 0, height = 0, width = 0;
  float rescale_factor = 1.0f;
  std::vector<float> mean, stddev;  ///< one per channel
  std::vector<std::string> labels;  ///< the model's class names (model.labels), index = class id; may be empty
};
/// The image input of a ViT graph: pixel_values' channel count and the image.* metadata. FailedPrecondition for a
/// graph without a pixel_values input.
Expected<ImageSpecOfModel> ImageSpecFromGraph(const ir::Graph& graph);

/// The examples of DIR (images.npy + labels.npy when present, else an ImageFolder), normalised for `spec`;
/// num_classes gets max label + 1. `class_names` (ImageFolder only): in, the class names fixed by an earlier set
/// (give the training set's when reading the eval set) or empty; out, the names by class index.
Expected<std::vector<EncodedExample>> ReadImageDataset(const std::string& dir, const ImageSpecOfModel& spec,
                                                       int* num_classes = nullptr,
                                                       std::vector<std::string>* class_names = nullptr);

}  // namespace qc::qat
