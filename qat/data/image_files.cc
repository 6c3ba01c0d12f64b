// PNG/JPEG decoding and ImageFolder listing (qat/data/image_files.h).
#include "qat/data/image_files.h"

#include <png.h>

#include <algorithm>
#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

namespace qc::qat {
namespace fs = std::filesystem;

namespace {

Expected<std::vector<unsigned char>> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot open the image");
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return IoError(path + ": read error");
  return bytes;
}

bool IsPng(const std::vector<unsigned char>& b) {
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return b.size() >= 8 && std::equal(kSignature, kSignature + 8, b.begin());
}

bool IsJpeg(const std::vector<unsigned char>& b) {
  return b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff;
}

// RGB(A) rows -> the model's channels: drop alpha; one channel gets PIL's "L" (ITU-R 601-2 luma, integer form).
DecodedImage FromRgb(const unsigned char* src, int64_t src_channels, int64_t height, int64_t width, int64_t channels) {
  DecodedImage out{channels, height, width, {}};
  const auto pixels = static_cast<size_t>(height * width);
  out.pixels.resize(pixels * static_cast<size_t>(channels));
  for (size_t p = 0; p < pixels; ++p) {
    const unsigned char* s = src + p * static_cast<size_t>(src_channels);
    if (channels == 1) {
      out.pixels[p] = static_cast<uint8_t>((19595u * s[0] + 38470u * s[1] + 7471u * s[2] + 0x8000u) >> 16);
    } else {
      std::copy(s, s + 3, out.pixels.begin() + static_cast<std::ptrdiff_t>(p * 3));
    }
  }
  return out;
}

Expected<DecodedImage> DecodePng(const std::string& path, const std::vector<unsigned char>& bytes, int64_t channels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return InvalidArgument(path + ": not a readable PNG (" + image.message + ")");
  }
  image.format = PNG_FORMAT_RGBA;  // every PNG colour type, 8-bit, alpha kept so it is dropped, not composited
  std::vector<unsigned char> rgba(PNG_IMAGE_SIZE(image));
  const int64_t height = image.height, width = image.width;
  if (!png_image_finish_read(&image, nullptr, rgba.data(), 0, nullptr)) {
    const std::string message = image.message;
    png_image_free(&image);
    return InvalidArgument(path + ": corrupt PNG (" + message + ")");
  }
  return FromRgb(rgba.data(), 4, height, width, channels);
}

struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

extern "C" void OnJpegError(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// libjpeg only warns about a truncated or damaged stream and fills the rest with grey: training data must not
// silently contain such an image, so a warning is an error too.
extern "C" void OnJpegMessage(j_common_ptr info, int level) {
  if (level < 0) OnJpegError(info);
}

// Decodes into *rgb (owned by the caller: nothing in this frame changes between setjmp and a longjmp but the
// libjpeg state, which the error path destroys). Returns an empty string or the error text.
std::string DecodeJpegRgb(const std::vector<unsigned char>& bytes, std::vector<unsigned char>* rgb, int64_t* height,
                          int64_t* width) {
  jpeg_decompress_struct info{};
  JpegErrors errors{};
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = OnJpegError;
  errors.manager.emit_message = OnJpegMessage;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return errors.message;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&info);
    return "a CMYK JPEG has no RGB form here; convert it to RGB first";
  }
  info.out_color_space = JCS_RGB;  // grey JPEGs too: (g, g, g), which the luma maps back to g
  jpeg_start_decompress(&info);
  *height = info.output_height;
  *width = info.output_width;
  const size_t row = static_cast<size_t>(info.output_width) * 3;
  rgb->assign(row * info.output_height, 0);
  while (info.output_scanline < info.output_height) {
    JSAMPROW line = rgb->data() + row * info.output_scanline;
    jpeg_read_scanlines(&info, &line, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return {};
}

bool IsImageName(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

bool IsNumber(const std::string& s) {
  return !s.empty() && s.size() <= 6 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Hugging Face's default names (LABEL_0, LABEL_1, ...) say nothing about the classes.
bool NamesClasses(const std::vector<std::string>& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != "LABEL_" + std::to_string(i)) return !labels.empty();
  }
  return false;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

// Class index of each folder name (the rules in the header), and the names by index.
Expected<std::map<std::string, int>> ClassIndex(const std::string& dir, const std::vector<std::string>& folders,
                                                const std::vector<std::string>& model_labels,
                                                std::vector<std::string>* classes) {
  std::map<std::string, int> index;
  auto all_in = [&](const std::vector<std::string>& names) {
    return std::all_of(folders.begin(), folders.end(),
                       [&](const std::string& f) { return std::find(names.begin(), names.end(), f) != names.end(); });
  };
  auto by_position = [&](const std::vector<std::string>& names) {
    for (const std::string& f : folders) {
      index[f] = static_cast<int>(std::find(names.begin(), names.end(), f) - names.begin());
    }
  };
  if (!classes->empty()) {
    for (const std::string& f : folders) {
      if (std::find(classes->begin(), classes->end(), f) == classes->end()) {
        return InvalidArgument(dir + ": class folder '" + f + "' is not one of the training set's classes (" +
                               Joined(*classes) + ")");
      }
    }
    by_position(*classes);
    return index;
  }
  if (!model_labels.empty() && all_in(model_labels)) {
    *classes = model_labels;
    by_position(model_labels);
    return index;
  }
  if (std::all_of(folders.begin(), folders.end(), IsNumber)) {
    for (const std::string& f : folders) {
      const int label = std::stoi(f);
      index[f] = label;
      if (classes->size() <= static_cast<size_t>(label)) classes->resize(static_cast<size_t>(label) + 1);
      (*classes)[static_cast<size_t>(label)] = f;
    }
    return index;
  }
  if (NamesClasses(model_labels)) {
    for (const std::string& f : folders) {
      if (std::find(model_labels.begin(), model_labels.end(), f) == model_labels.end()) {
        return InvalidArgument(dir + ": class folder '" + f + "' is not one of the model's classes (" +
                               Joined(model_labels) + "); name the folders after them");
      }
    }
  }
  *classes = folders;  // already sorted
  by_position(folders);
  return index;
}

}  // namespace

Expected<DecodedImage> DecodeImageFile(const std::string& path, int64_t channels) {
  if (channels != 1 && channels != 3) {
    return InvalidArgument(path + ": the model takes " + std::to_string(channels) +
                           "-channel images; PNG/JPEG decode to 1 (grey) or 3 (RGB)");
  }
  QC_ASSIGN_OR_RETURN(std::vector<unsigned char> bytes, ReadFileBytes(path));
  if (IsPng(bytes)) return DecodePng(path, bytes, channels);
  if (!IsJpeg(bytes)) return InvalidArgument(path + ": neither a PNG nor a JPEG file (by its first bytes)");
  std::vector<unsigned char> rgb;
  int64_t height = 0, width = 0;
  if (const std::string error = DecodeJpegRgb(bytes, &rgb, &height, &width); !error.empty()) {
    return InvalidArgument(path + ": corrupt JPEG (" + error + ")");
  }
  return FromRgb(rgb.data(), 3, height, width, channels);
}

Status CheckImageSize(const std::string& path, const DecodedImage& image, int64_t height, int64_t width) {
  if (image.height == height && image.width == width) return Status::Ok();
  return InvalidArgument(path + ": " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                         " pixels, the model takes " + std::to_string(width) + "x" + std::to_string(height) +
                         " (images are not resized)");
}

Expected<std::vector<LabeledImageFile>> ListImageFolder(const std::string& dir,
                                                        const std::vector<std::string>& model_labels,
                                                        std::vector<std::string>* classes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound(dir + ": no such folder");
  std::vector<std::string> folders;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (e.is_directory()) {
      folders.push_back(name);
    } else if (IsImageName(e.path())) {
      return InvalidArgument(e.path().string() +
                             ": an image directly in the data folder; put each image in the "
                             "folder of its class (" +
                             dir + "/<class>/)");
    }
  }
  if (ec) return IoError(dir + ": " + ec.message());
  if (folders.empty()) {
    return InvalidArgument(dir +
                           ": no class folders (image data is images.npy + labels.npy, or one folder of "
                           "PNG/JPEG images per class)");
  }
  std::sort(folders.begin(), folders.end());
  QC_ASSIGN_OR_RETURN(auto index, ClassIndex(dir, folders, model_labels, classes));
  std::vector<LabeledImageFile> files;
  for (const std::string& folder : folders) {
    std::vector<std::string> names;
    for (const fs::directory_entry& e : fs::directory_iterator(fs::path(dir) / folder, ec)) {
      const std::string name = e.path().filename().string();
      if (!name.empty() && name[0] != '.' && e.is_regular_file() && IsImageName(e.path())) names.push_back(name);
    }
    if (ec) return IoError((fs::path(dir) / folder).string() + ": " + ec.message());
    if (names.empty()) return InvalidArgument((fs::path(dir) / folder).string() + ": a class folder without images");
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) files.push_back({(fs::path(dir) / folder / name).string(), index[folder]});
  }
  return files;
}

}  // namespace qc::qat
