#include "qcrun/images.h"

#include "qat/data/image_files.h"

namespace qc::tools {

Expected<HostTensor> LoadImageBatch(const std::vector<std::string>& files, const ImageSpec& spec) {
  const auto plane = static_cast<size_t>(spec.height * spec.width), channels = static_cast<size_t>(spec.channels);
  std::vector<float> values;
  values.reserve(files.size() * channels * plane);
  for (const std::string& file : files) {
    QC_ASSIGN_OR_RETURN(qat::DecodedImage image, qat::DecodeImageFile(file, spec.channels));
    if (image.height != spec.height || image.width != spec.width) {
      return InvalidArgument(file + ": " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                             " pixels, the model takes " + std::to_string(spec.width) + "x" +
                             std::to_string(spec.height) + " (images are not resized)");
    }
    for (size_t c = 0; c < channels; ++c) {  // interleaved -> planar
      for (size_t p = 0; p < plane; ++p) values.push_back(static_cast<float>(image.pixels[p * channels + c]));
    }
  }
  return HostTensor::Float32({static_cast<int64_t>(files.size()), spec.channels, spec.height, spec.width},
                             std::move(values));
}

}  // namespace qc::tools
