// tests/support/image_writers.h: PNG and JPEG files for tests, written by libpng and libjpeg (link PNG::PNG and
// JPEG::JPEG). Failures are doctest REQUIREs.
#pragma once

#include <doctest/doctest.h>
#include <png.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

namespace qc::test {

// format: PNG_FORMAT_GRAY, PNG_FORMAT_RGB or PNG_FORMAT_RGBA; pixels interleaved, rows top-down.
inline void WritePng(const std::filesystem::path& path, uint32_t format, int width, int height,
                     const std::vector<uint8_t>& pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = format;
  REQUIRE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0, nullptr) != 0);
}

// Baseline JPEG at quality 100 without chroma subsampling, so decoding comes within a few levels of `pixels`.
inline void WriteJpeg(const std::filesystem::path& path, int channels, int width, int height,
                      const std::vector<uint8_t>& pixels) {
  jpeg_compress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  FILE* out = std::fopen(path.c_str(), "wb");
  REQUIRE(out != nullptr);
  jpeg_stdio_dest(&info, out);
  info.image_width = static_cast<JDIMENSION>(width);
  info.image_height = static_cast<JDIMENSION>(height);
  info.input_components = channels;
  info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 100, TRUE);
  for (int c = 0; c < info.num_components; ++c) info.comp_info[c].h_samp_factor = info.comp_info[c].v_samp_factor = 1;
  jpeg_start_compress(&info, TRUE);
  const size_t row = static_cast<size_t>(width * channels);
  while (info.next_scanline < info.image_height) {
    auto* line = const_cast<JSAMPROW>(pixels.data() + row * info.next_scanline);
    jpeg_write_scanlines(&info, &line, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(out);
}

}  // namespace qc::test
