// Images in as arrays: raw pixels normalized with the model's image.* metadata (docs/qm-format.md), then run.
#include "api/model_impl.h"

namespace qc {

Expected<ImageSpec> Model::image_spec() const {
  const qm::QmFile& file = impl_->file;
  if (!file.HasMetadata("image.size")) {
    return FailedPrecondition(impl_->path + ": the model carries no image preprocessing (image.* metadata)");
  }
  ImageSpec spec;
  QC_ASSIGN_OR_RETURN(qm::ConstSpan<int64_t> size, file.GetMetadataIntList("image.size"));
  if (size.size != 2) return CorruptData(impl_->path + ": image.size has " + std::to_string(size.size) + " entries");
  spec.height = size.data[0];
  spec.width = size.data[1];
  if (file.HasMetadata("image.rescale_factor")) {
    QC_ASSIGN_OR_RETURN(double factor, file.GetMetadataFloat("image.rescale_factor"));
    spec.rescale_factor = static_cast<float>(factor);
  }
  for (auto [key, out] : {std::pair<const char*, std::vector<float>*>{"image.mean", &spec.mean},
                          std::pair<const char*, std::vector<float>*>{"image.std", &spec.stddev}}) {
    if (!file.HasMetadata(key)) continue;
    QC_ASSIGN_OR_RETURN(qm::ConstSpan<double> values, file.GetMetadataFloatList(key));
    out->assign(values.begin(), values.end());
  }
  // The input's channel count when the metadata leaves it open (no normalization recorded).
  spec.channels = static_cast<int64_t>(!spec.mean.empty() ? spec.mean.size() : spec.stddev.size());
  if (spec.channels == 0) {
    for (const ValueSignature& sig : impl_->inputs) {
      if (sig.type == ElementType::kFloat32 && sig.dims.size() == 4 && sig.dims[1] > 0) spec.channels = sig.dims[1];
    }
  }
  if (spec.mean.empty()) spec.mean.assign(static_cast<size_t>(spec.channels), 0.0f);
  if (spec.stddev.empty()) spec.stddev.assign(static_cast<size_t>(spec.channels), 1.0f);
  if (spec.mean.size() != spec.stddev.size()) {
    return CorruptData(impl_->path + ": image.mean has " + std::to_string(spec.mean.size()) + " channels, image.std " +
                       std::to_string(spec.stddev.size()));
  }
  return spec;
}

Expected<std::vector<NamedTensor>> Session::RunImages(const HostTensor& pixels) {
  const Model& m = model();
  QC_ASSIGN_OR_RETURN(ImageSpec spec, m.image_spec());
  const std::vector<ValueSignature>& inputs = m.inputs();
  if (inputs.size() != 1 || inputs[0].type != ElementType::kFloat32 || inputs[0].dims.size() != 4) {
    return Unsupported(m.path() + ": RunImages needs a model with one float32 [batch, channels, height, width] input");
  }
  const std::vector<int64_t> expected = {-1, spec.channels, spec.height, spec.width};
  bool shape_ok = pixels.type == ElementType::kFloat32 && pixels.shape.size() == 4 && pixels.shape[0] > 0;
  for (size_t d = 1; shape_ok && d < 4; ++d) shape_ok = pixels.shape[d] == expected[d];
  if (!shape_ok) {
    std::string got;
    for (size_t d = 0; d < pixels.shape.size(); ++d) got += (d ? ", " : "") + std::to_string(pixels.shape[d]);
    return InvalidArgument(m.path() + ": images are " + ElementTypeName(pixels.type) + " [" + got +
                           "], the model takes float32 [batch, " + std::to_string(spec.channels) + ", " +
                           std::to_string(spec.height) + ", " + std::to_string(spec.width) + "] (resize first)");
  }
  if (static_cast<int64_t>(pixels.floats.size()) != pixels.element_count()) {
    return InvalidArgument(m.path() + ": images hold " + std::to_string(pixels.floats.size()) +
                           " values, their shape needs " + std::to_string(pixels.element_count()));
  }
  const int64_t plane = spec.height * spec.width;
  std::vector<float> normalized(pixels.floats.size());
  for (int64_t i = 0; i < pixels.element_count(); ++i) {
    const size_t c = static_cast<size_t>((i / plane) % spec.channels);
    normalized[static_cast<size_t>(i)] =
        (pixels.floats[static_cast<size_t>(i)] * spec.rescale_factor - spec.mean[c]) / spec.stddev[c];
  }
  return Run({{inputs[0].name, HostTensor::Float32(pixels.shape, std::move(normalized))}});
}

}  // namespace qc
