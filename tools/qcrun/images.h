// qcrun/images.h: PNG/JPEG files as the raw-pixel batch Session::RunImages takes (qcrun run --image, qcrun eval on
// an image folder). Decoding is qat/data/image_files.h's, the one qcompress trains with: 8-bit RGB (PIL's luma for
// one channel), nothing resized.
//
//   QC_ASSIGN_OR_RETURN(qc::HostTensor pixels, qc::tools::LoadImageBatch({"cat.png", "dog.jpg"}, *spec));
//   auto outputs = session.RunImages(pixels);
#pragma once

#include <string>
#include <vector>

#include "qcompress/runtime.h"

namespace qc::tools {

/// float32 [files, channels, height, width] of raw 0..255 values (RunImages normalises them per `spec`). An image
/// whose size is not the model's is an error naming the file and both sizes.
Expected<HostTensor> LoadImageBatch(const std::vector<std::string>& files, const ImageSpec& spec);

}  // namespace qc::tools
