// qat/data/image_data.h: .npy parsing, image folder reading and the runtime's normalisation.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "qat/data/image_data.h"

namespace fs = std::filesystem;

namespace {

// A version-1.0 .npy file: magic, header padded to a multiple of 64 bytes, raw little-endian data.
void WriteNpy(const fs::path& path, const std::string& descr, const std::string& shape, const void* data,
              size_t bytes) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xFF));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
}

fs::path Dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / "qc_image_data_test" / name;
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST_CASE("ReadNpy: dtypes, shapes, and clear errors") {
  const fs::path d = Dir("npy");
  const float f[] = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  WriteNpy(d / "f.npy", "<f4", "2, 3", f, sizeof f);
  auto a = qc::qat::ReadNpy((d / "f.npy").string());
  REQUIRE_MESSAGE(a.ok(), a.status().ToString());
  CHECK(a->shape == std::vector<int64_t>{2, 3});
  CHECK(a->values == std::vector<double>{1.5, -2.0, 3.25, 0.0, 7.0, 8.0});
  const int64_t l[] = {3, 0, 9};
  WriteNpy(d / "l.npy", "<i8", "3,", l, sizeof l);
  auto b = qc::qat::ReadNpy((d / "l.npy").string());
  REQUIRE(b.ok());
  CHECK(b->shape == std::vector<int64_t>{3});
  CHECK(b->values == std::vector<double>{3, 0, 9});
  WriteNpy(d / "short.npy", "<f4", "4, 3", f, sizeof f);  // 12 elements declared, 6 present
  auto c = qc::qat::ReadNpy((d / "short.npy").string());
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().message().find("short.npy") != std::string::npos);
  WriteNpy(d / "big.npy", ">f4", "6,", f, sizeof f);
  CHECK(qc::qat::ReadNpy((d / "big.npy").string()).status().message().find("big-endian") != std::string::npos);
  std::ofstream(d / "text.npy") << "not numpy";
  CHECK_FALSE(qc::qat::ReadNpy((d / "text.npy").string()).ok());
}

TEST_CASE("ReadImageDataset: [N,H,W] and [N,H,W,C] layouts, normalisation, label checks") {
  qc::qat::ImageSpecOfModel spec;
  spec.channels = 1;
  spec.height = 2;
  spec.width = 2;
  spec.rescale_factor = 1.0f / 255.0f;
  spec.mean = {0.5f};
  spec.stddev = {0.5f};
  const fs::path d = Dir("gray");
  const uint8_t px[] = {0, 255, 51, 102, /**/ 255, 255, 0, 0};
  const int64_t labels[] = {1, 0};
  WriteNpy(d / "images.npy", "|u1", "2, 2, 2", px, sizeof px);
  WriteNpy(d / "labels.npy", "<i8", "2,", labels, sizeof labels);
  int classes = 0;
  auto ex = qc::qat::ReadImageDataset(d.string(), spec, &classes);
  REQUIRE_MESSAGE(ex.ok(), ex.status().ToString());
  REQUIRE(ex->size() == 2);
  CHECK(classes == 2);
  CHECK((*ex)[0].image_shape == std::vector<int64_t>{1, 2, 2});
  CHECK((*ex)[0].pixels[0] == doctest::Approx(-1.0f));
  CHECK((*ex)[0].pixels[1] == doctest::Approx(1.0f));
  CHECK((*ex)[0].pixels[2] == doctest::Approx((51.0f / 255.0f - 0.5f) / 0.5f));
  CHECK((*ex)[1].label == 0.0);

  // Channels last: [N, H, W, C] with C = 3 becomes [C, H, W].
  spec.channels = 3;
  spec.mean = {0.0f, 0.0f, 0.0f};
  spec.stddev = {1.0f, 1.0f, 1.0f};
  spec.rescale_factor = 1.0f;
  const fs::path d2 = Dir("hwc");
  const float hwc[] = {1, 10, 100, 2, 20, 200, 3, 30, 300, 4, 40, 400};  // 1 image, 2x2 pixels of 3 channels
  const int64_t one[] = {4};
  WriteNpy(d2 / "images.npy", "<f4", "1, 2, 2, 3", hwc, sizeof hwc);
  WriteNpy(d2 / "labels.npy", "<i8", "1,", one, sizeof one);
  auto hw = qc::qat::ReadImageDataset(d2.string(), spec);
  REQUIRE_MESSAGE(hw.ok(), hw.status().ToString());
  CHECK((*hw)[0].pixels == std::vector<float>{1, 2, 3, 4, 10, 20, 30, 40, 100, 200, 300, 400});

  // Wrong image size (no resizing) and a label count that does not match: errors naming the file.
  spec.height = 3;
  auto wrong = qc::qat::ReadImageDataset(d2.string(), spec);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.status().message().find("images.npy") != std::string::npos);
  spec.height = 2;
  WriteNpy(d2 / "labels.npy", "<i8", "2,", labels, sizeof labels);
  auto mismatch = qc::qat::ReadImageDataset(d2.string(), spec);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.status().message().find("labels.npy") != std::string::npos);
  CHECK_FALSE(qc::qat::ReadImageDataset((d2 / "missing").string(), spec).ok());
}
