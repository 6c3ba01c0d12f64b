#include "qcrun/images.h"

#include "qat/data/image_files.h"

namespace qc::tools {

Expected<HostTensor> LoadImageBatch(const std::vector<std::string>& files, const ImageSpec& spec) {
  const auto plane = static_cast<size_t>(spec.height * spec.width), channels = static_cast<size_t>(spec.channels);
  std::vector<float> values;
  values.reserve(files.size() * channels * plane);
  for (const std::string& file : files) {
    QC_ASSIGN_OR_RETURN(qat::DecodedImage image, qat::DecodeImageFile(file, spec.channels));
    QC_RETURN_IF_ERROR(qat::CheckImageSize(file, image, spec.height, spec.width));
    for (size_t c = 0; c < channels; ++c) {  // interleaved -> planar
      for (size_t p = 0; p < plane; ++p) values.push_back(static_cast<float>(image.pixels[p * channels + c]));
    }
  }
  return HostTensor::Float32({static_cast<int64_t>(files.size()), spec.channels, spec.height, spec.width},
                             std::move(values));
}

}  // namespace qc::tools
