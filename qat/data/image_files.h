// qat/data/image_files.h: PNG and JPEG files, and image folders with one subfolder per class. Torch-free.
//
// Overview
//   DecodeImageFile reads a PNG (libpng) or a JPEG (libjpeg-turbo), chosen by the file's signature, not its name,
//   as 8-bit RGB; a one-channel model gets PIL's luma, L = (19595 R + 38470 G + 7471 B + 2^15) >> 16, which leaves
//   a grey image's values unchanged. An alpha channel is dropped (as PIL's convert("RGB")), not composited.
//   Nothing is resized: like the runtime, training takes images at the model's size.
//
//   ListImageFolder reads the layout of torchvision's ImageFolder and Hugging Face's imagefolder:
//     DIR/<class>/<image>.png|.jpg|.jpeg     (other files, and names starting with '.', are skipped)
//   A class folder's name gives its index, by the first rule that covers every folder:
//     1. the names the caller already fixed (the training set's, when this is the eval set);
//     2. the model's class names (`model.labels` metadata), when every folder is one of them;
//     3. decimal numbers ("0", "7"): the number;
//     4. otherwise the folders in sorted order (torchvision's rule), unless the model names its classes: then a
//        folder that is not one of them is an error naming it and the model's names.
//
// Usage
//   QC_ASSIGN_OR_RETURN(qc::qat::DecodedImage image, qc::qat::DecodeImageFile("cat/001.png", 3));
//   std::vector<std::string> classes;  // empty: derive; the index order comes back
//   QC_ASSIGN_OR_RETURN(auto files, qc::qat::ListImageFolder("train", model_labels, &classes));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qcompress/status.h"

namespace qc::qat {

/// An 8-bit image, channels interleaved: pixels[(y * width + x) * channels + c].
struct DecodedImage {
  int64_t channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;
};

/// Decodes a PNG or JPEG file into `channels` (1 or 3) 8-bit channels. Errors name the file: not a PNG/JPEG,
/// corrupt or truncated data, a JPEG colour space that has no RGB form (CMYK).
Expected<DecodedImage> DecodeImageFile(const std::string& path, int64_t channels);

/// Ok when `image` has the model's size; else an error naming `path` and both sizes (nothing is ever resized).
Status CheckImageSize(const std::string& path, const DecodedImage& image, int64_t height, int64_t width);

struct LabeledImageFile {
  std::string path;
  int label = 0;
};

/// The images of an ImageFolder layout, sorted by class folder then file name, with their class index (rules
/// above). `classes` in: the fixed class names (index order), or empty to derive them; out: the names by index
/// (a gap in numbered folders is an empty name). Errors: no class folders, a class folder without images, an image
/// file directly in `dir`.
Expected<std::vector<LabeledImageFile>> ListImageFolder(const std::string& dir,
                                                        const std::vector<std::string>& model_labels,
                                                        std::vector<std::string>* classes);

}  // namespace qc::qat
