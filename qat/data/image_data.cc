#include "qat/data/image_data.h"

#include "qat/data/image_files.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

namespace qc::qat {
namespace fs = std::filesystem;

namespace {

template <typename T>
double Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return static_cast<double>(v);
}

// The element reader and size of a NumPy dtype string ("<f4", "|u1", ...).
Expected<std::pair<double (*)(const char*), size_t>> Element(const std::string& descr, const std::string& path) {
  const char order = descr.empty() ? '?' : descr[0];
  if (order == '>') return Unsupported(path + ": big-endian arrays (" + descr + ") are not supported");
  const std::string t = descr.substr(1);
  if (t == "b1" || t == "u1") return std::make_pair(&Load<uint8_t>, size_t{1});
  if (t == "i1") return std::make_pair(&Load<int8_t>, size_t{1});
  if (t == "u2") return std::make_pair(&Load<uint16_t>, size_t{2});
  if (t == "i2") return std::make_pair(&Load<int16_t>, size_t{2});
  if (t == "u4") return std::make_pair(&Load<uint32_t>, size_t{4});
  if (t == "i4") return std::make_pair(&Load<int32_t>, size_t{4});
  if (t == "u8") return std::make_pair(&Load<uint64_t>, size_t{8});
  if (t == "i8") return std::make_pair(&Load<int64_t>, size_t{8});
  if (t == "f4") return std::make_pair(&Load<float>, size_t{4});
  if (t == "f8") return std::make_pair(&Load<double>, size_t{8});
  return Unsupported(path + ": dtype '" + descr + "' is not supported (integers, float32, float64)");
}

const ir::MetadataValue* Meta(const ir::Graph& graph, const std::string& key) {
  auto it = graph.metadata().find(key);
  return it == graph.metadata().end() ? nullptr : &it->second;
}

std::vector<float> FloatList(const ir::MetadataValue* v, size_t n, float fallback) {
  std::vector<float> out(n, fallback);
  if (v != nullptr && std::holds_alternative<std::vector<double>>(*v)) {
    const auto& d = std::get<std::vector<double>>(*v);
    if (d.size() == n) std::transform(d.begin(), d.end(), out.begin(), [](double x) { return static_cast<float>(x); });
  }
  return out;
}

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

}  // namespace

Expected<NpyArray> ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return InvalidArgument(path + ": not a .npy file");
  const auto major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return InvalidArgument(path + ": truncated .npy header");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    return Unsupported(path + ": .npy format version " + std::to_string(major));
  }
  if (offset + header_len > bytes.size()) return InvalidArgument(path + ": truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'"))) {
    return InvalidArgument(path + ": .npy header without 'descr'");
  }
  const std::string descr = m[1];
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True"))) {
    return Unsupported(path + ": Fortran-order arrays are not supported (save with numpy.ascontiguousarray)");
  }
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) {
    return InvalidArgument(path + ": .npy header without 'shape'");
  }
  NpyArray a;
  const std::string dims = m[1];
  static const std::regex kNumber("\\d+");
  std::sregex_iterator it(dims.begin(), dims.end(), kNumber), end;
  for (; it != end; ++it) a.shape.push_back(std::stoll(it->str()));
  QC_ASSIGN_OR_RETURN(auto element, Element(descr, path));
  size_t count = 1;
  for (int64_t d : a.shape) count *= static_cast<size_t>(d);
  const size_t data = offset + header_len;
  if (bytes.size() - data < count * element.second) {
    return InvalidArgument(path + ": " + std::to_string(bytes.size() - data) + " data bytes for shape " +
                           ShapeText(a.shape) + " of " + descr);
  }
  a.values.resize(count);
  for (size_t i = 0; i < count; ++i) a.values[i] = element.first(bytes.data() + data + i * element.second);
  return a;
}

Expected<ImageSpecOfModel> ImageSpecFromGraph(const ir::Graph& graph) {
  ImageSpecOfModel spec;
  bool found = false;
  for (ir::ValueId v : graph.inputs()) {
    const ir::Value& value = graph.value(v);
    if (value.name != "pixel_values") continue;
    if (value.shape.size() != 4 || !value.shape[1].is_static() || !value.shape[2].is_static() ||
        !value.shape[3].is_static()) {
      return InvalidArgument("graph input pixel_values: expected [batch, channels, height, width] with fixed sizes");
    }
    spec.channels = value.shape[1].size();
    spec.height = value.shape[2].size();
    spec.width = value.shape[3].size();
    found = true;
  }
  if (!found) return FailedPrecondition("the model has no pixel_values input (not an image model)");
  if (const auto* f = Meta(graph, "image.rescale_factor"); f != nullptr && std::holds_alternative<double>(*f)) {
    spec.rescale_factor = static_cast<float>(std::get<double>(*f));
  }
  const auto c = static_cast<size_t>(spec.channels);
  spec.mean = FloatList(Meta(graph, "image.mean"), c, 0.0f);
  spec.stddev = FloatList(Meta(graph, "image.std"), c, 1.0f);
  if (const auto* l = Meta(graph, "model.labels"); l != nullptr && std::holds_alternative<std::vector<std::string>>(*l)) {
    spec.labels = std::get<std::vector<std::string>>(*l);
  }
  return spec;
}

namespace {

// One example: raw pixel values (`at(c, p)`, p = y * width + x) normalised as the runtime does for RunImages.
template <typename PixelAt>
EncodedExample Normalised(const ImageSpecOfModel& spec, int label, PixelAt at) {
  EncodedExample e;
  e.label = label;
  e.image_shape = {spec.channels, spec.height, spec.width};
  const auto plane = static_cast<size_t>(spec.height * spec.width);
  e.pixels.resize(static_cast<size_t>(spec.channels) * plane);
  for (size_t c = 0; c < static_cast<size_t>(spec.channels); ++c) {
    for (size_t p = 0; p < plane; ++p) {
      e.pixels[c * plane + p] = (static_cast<float>(at(c, p)) * spec.rescale_factor - spec.mean[c]) / spec.stddev[c];
    }
  }
  return e;
}

Expected<std::vector<EncodedExample>> ReadNpyDataset(const std::string& dir, const ImageSpecOfModel& spec,
                                                     int* num_classes) {
  const std::string images_path = (fs::path(dir) / "images.npy").string();
  const std::string labels_path = (fs::path(dir) / "labels.npy").string();
  QC_ASSIGN_OR_RETURN(NpyArray images, ReadNpy(images_path));
  QC_ASSIGN_OR_RETURN(NpyArray labels, ReadNpy(labels_path));
  const int64_t c = spec.channels, h = spec.height, w = spec.width;
  const auto& s = images.shape;
  bool channels_last = false;
  if (s.size() == 3 && c == 1 && s[1] == h && s[2] == w) {
    // [N, H, W]: one channel
  } else if (s.size() == 4 && s[1] == c && s[2] == h && s[3] == w) {
    // [N, C, H, W]
  } else if (s.size() == 4 && s[1] == h && s[2] == w && s[3] == c) {
    channels_last = true;
  } else {
    return InvalidArgument(images_path + ": shape " + ShapeText(s) + " does not hold " + std::to_string(c) + "x" +
                           std::to_string(h) + "x" + std::to_string(w) +
                           " images ([N, H, W], [N, C, H, W] or [N, H, W, C]; images are not resized)");
  }
  const int64_t n = s[0];
  if (labels.shape.size() != 1 || labels.shape[0] != n) {
    return InvalidArgument(labels_path + ": shape " + ShapeText(labels.shape) + ", expected [" + std::to_string(n) +
                           "] (one label per image)");
  }
  std::vector<EncodedExample> out;
  out.reserve(static_cast<size_t>(n));
  int classes = 0;
  const auto plane = static_cast<size_t>(h * w), image = static_cast<size_t>(c) * plane;
  for (int64_t i = 0; i < n; ++i) {
    const double label = labels.values[static_cast<size_t>(i)];
    if (label < 0 || label != static_cast<double>(static_cast<int64_t>(label))) {
      return InvalidArgument(labels_path + ": label " + std::to_string(label) + " of image " + std::to_string(i) +
                             " is not a class index");
    }
    classes = std::max(classes, static_cast<int>(label) + 1);
    const double* src = images.values.data() + static_cast<size_t>(i) * image;
    out.push_back(Normalised(spec, static_cast<int>(label), [&](size_t ch, size_t p) {
      return channels_last ? src[p * static_cast<size_t>(c) + ch] : src[ch * plane + p];
    }));
  }
  if (num_classes != nullptr) *num_classes = classes;
  return out;
}

Expected<std::vector<EncodedExample>> ReadImageFolder(const std::string& dir, const ImageSpecOfModel& spec,
                                                      int* num_classes, std::vector<std::string>* class_names) {
  std::vector<std::string> local;
  std::vector<std::string>* classes = class_names != nullptr ? class_names : &local;
  QC_ASSIGN_OR_RETURN(std::vector<LabeledImageFile> files, ListImageFolder(dir, spec.labels, classes));
  std::vector<EncodedExample> out;
  out.reserve(files.size());
  int most = 0;
  for (const LabeledImageFile& f : files) {
    QC_ASSIGN_OR_RETURN(DecodedImage image, DecodeImageFile(f.path, spec.channels));
    QC_RETURN_IF_ERROR(CheckImageSize(f.path, image, spec.height, spec.width));
    const auto c = static_cast<size_t>(spec.channels);
    out.push_back(Normalised(spec, f.label, [&](size_t ch, size_t p) { return image.pixels[p * c + ch]; }));
    most = std::max(most, f.label + 1);
  }
  if (num_classes != nullptr) *num_classes = most;
  return out;
}

}  // namespace

Expected<std::vector<EncodedExample>> ReadImageDataset(const std::string& dir, const ImageSpecOfModel& spec,
                                                       int* num_classes, std::vector<std::string>* class_names) {
  if (!fs::is_directory(dir)) {
    return InvalidArgument(dir + ": image data is a folder: images.npy + labels.npy, or one folder of PNG/JPEG "
                           "images per class");
  }
  if (fs::exists(fs::path(dir) / "images.npy")) return ReadNpyDataset(dir, spec, num_classes);
  return ReadImageFolder(dir, spec, num_classes, class_names);
}

}  // namespace qc::qat
