// qat/data/image_files.h: PNG/JPEG decoding (files written here by libpng and libjpeg), the ImageFolder class
// rules, and ReadImageDataset on a folder (labels, normalisation, the size check).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "qat/data/image_data.h"
#include "qat/data/image_files.h"
#include "tests/support/image_writers.h"

namespace fs = std::filesystem;
using qc::qat::DecodeImageFile;
using qc::qat::ListImageFolder;
using qc::test::WriteJpeg;
using qc::test::WritePng;

namespace {

fs::path Dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / "qc_image_files_test" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A 5x3 RGB test card: every channel of every pixel different.
std::vector<uint8_t> Card(int width, int height) {
  std::vector<uint8_t> px;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      px.push_back(static_cast<uint8_t>(40 * x + 7));
      px.push_back(static_cast<uint8_t>(60 * y + 11));
      px.push_back(static_cast<uint8_t>(255 - 23 * (x + y)));
    }
  }
  return px;
}

uint8_t Luma(const uint8_t* rgb) {
  return static_cast<uint8_t>((19595u * rgb[0] + 38470u * rgb[1] + 7471u * rgb[2] + 0x8000u) >> 16);
}

std::string Truncated(const fs::path& from, const fs::path& to, size_t keep) {
  std::ifstream in(from, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(to, std::ios::binary) << bytes.substr(0, keep);
  return to.string();
}

}  // namespace

TEST_CASE("DecodeImageFile: PNG colour types exactly, alpha dropped, grey models get PIL's luma") {
  const fs::path d = Dir("png");
  const std::vector<uint8_t> card = Card(5, 3);
  WritePng(d / "rgb.png", PNG_FORMAT_RGB, 5, 3, card);
  auto rgb = DecodeImageFile((d / "rgb.png").string(), 3);
  REQUIRE_MESSAGE(rgb.ok(), rgb.status().ToString());
  CHECK(rgb->width == 5);
  CHECK(rgb->height == 3);
  CHECK(rgb->channels == 3);
  CHECK(rgb->pixels == card);

  auto grey = DecodeImageFile((d / "rgb.png").string(), 1);
  REQUIRE(grey.ok());
  REQUIRE(grey->pixels.size() == 15);
  for (size_t p = 0; p < 15; ++p) CHECK(grey->pixels[p] == Luma(&card[p * 3]));

  std::vector<uint8_t> rgba;
  for (size_t p = 0; p < 15; ++p) {
    rgba.insert(rgba.end(), card.begin() + static_cast<long>(p * 3), card.begin() + static_cast<long>(p * 3 + 3));
    rgba.push_back(static_cast<uint8_t>(p * 17));  // transparent to opaque: the colour values stay as stored
  }
  WritePng(d / "rgba.png", PNG_FORMAT_RGBA, 5, 3, rgba);
  auto dropped = DecodeImageFile((d / "rgba.png").string(), 3);
  REQUIRE(dropped.ok());
  CHECK(dropped->pixels == card);

  const std::vector<uint8_t> levels = {0, 1, 127, 128, 254, 255};
  WritePng(d / "grey.png", PNG_FORMAT_GRAY, 3, 2, levels);
  auto one = DecodeImageFile((d / "grey.png").string(), 1);
  REQUIRE(one.ok());
  CHECK(one->pixels == levels);  // a grey image's values survive the luma unchanged
  auto three = DecodeImageFile((d / "grey.png").string(), 3);
  REQUIRE(three.ok());
  CHECK(three->pixels[3 * 2 + 0] == 127);
  CHECK(three->pixels[3 * 2 + 1] == 127);
  CHECK(three->pixels[3 * 2 + 2] == 127);
}

TEST_CASE("DecodeImageFile: JPEG by its bytes, close to what was encoded; damaged files are errors naming them") {
  const fs::path d = Dir("jpeg");
  const std::vector<uint8_t> card = Card(5, 3);
  WriteJpeg(d / "card.png", 3, 5, 3, card);  // a JPEG with the wrong extension: the signature decides
  auto rgb = DecodeImageFile((d / "card.png").string(), 3);
  REQUIRE_MESSAGE(rgb.ok(), rgb.status().ToString());
  REQUIRE(rgb->pixels.size() == card.size());
  int worst = 0;
  for (size_t i = 0; i < card.size(); ++i) worst = std::max(worst, std::abs(int{rgb->pixels[i]} - int{card[i]}));
  CHECK(worst <= 4);  // quality 100, 4:4:4: only the DCT's rounding

  const std::vector<uint8_t> levels = {0, 30, 60, 90, 120, 150, 180, 210, 240};
  WriteJpeg(d / "grey.jpg", 1, 3, 3, levels);
  auto grey = DecodeImageFile((d / "grey.jpg").string(), 1);
  REQUIRE(grey.ok());
  for (size_t i = 0; i < levels.size(); ++i) CHECK(std::abs(int{grey->pixels[i]} - int{levels[i]}) <= 4);

  const std::string cut = Truncated(d / "card.png", d / "cut.jpg", 200);
  auto truncated = DecodeImageFile(cut, 3);
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.status().message().find(cut + ": corrupt JPEG (") == 0);
  WritePng(d / "full.png", PNG_FORMAT_RGB, 5, 3, card);
  auto png_cut = DecodeImageFile(Truncated(d / "full.png", d / "cut.png", 60), 3);
  REQUIRE_FALSE(png_cut.ok());
  CHECK(png_cut.status().message().find((d / "cut.png").string() + ": ") == 0);
  std::ofstream(d / "text.jpg") << "not an image";
  CHECK(DecodeImageFile((d / "text.jpg").string(), 3).status().message() ==
        (d / "text.jpg").string() + ": neither a PNG nor a JPEG file (by its first bytes)");
  CHECK(DecodeImageFile((d / "missing.png").string(), 3).status().message() ==
        (d / "missing.png").string() + ": cannot open the image");
  CHECK_FALSE(DecodeImageFile((d / "full.png").string(), 4).ok());  // PNG/JPEG give 1 or 3 channels
}

TEST_CASE("ListImageFolder: the class of each folder, by the model's names, numbers or sorted order") {
  const fs::path d = Dir("folders");
  const std::vector<uint8_t> px = {9};
  for (const char* f : {"dog/b.png", "dog/a.PNG", "cat/x.jpg", "cat/notes.txt", "cat/.hidden.png"}) {
    fs::create_directories((d / f).parent_path());
    WritePng(d / f, PNG_FORMAT_GRAY, 1, 1, px);
  }
  std::vector<std::string> classes;
  auto sorted = ListImageFolder(d.string(), {}, &classes);
  REQUIRE_MESSAGE(sorted.ok(), sorted.status().ToString());
  CHECK(classes == std::vector<std::string>{"cat", "dog"});
  REQUIRE(sorted->size() == 3);  // notes.txt and the hidden file are skipped
  CHECK(fs::path((*sorted)[0].path).filename() == "x.jpg");
  CHECK((*sorted)[0].label == 0);
  CHECK(fs::path((*sorted)[1].path).filename() == "a.PNG");
  CHECK((*sorted)[1].label == 1);

  classes.clear();  // the model's names win over sorted order
  auto named = ListImageFolder(d.string(), {"dog", "bird", "cat"}, &classes);
  REQUIRE(named.ok());
  CHECK((*named)[0].label == 2);
  CHECK((*named)[2].label == 0);
  CHECK(classes == std::vector<std::string>{"dog", "bird", "cat"});

  classes.clear();  // a model that names other classes: refused, naming the folder and the model's names
  auto other = ListImageFolder(d.string(), {"car", "dog"}, &classes);
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().message().find("class folder 'cat' is not one of the model's classes ('car', 'dog')") !=
        std::string::npos);
  classes.clear();  // Hugging Face's LABEL_i names nothing: sorted order
  CHECK(ListImageFolder(d.string(), {"LABEL_0", "LABEL_1"}, &classes).ok());

  classes = {"dog", "cat"};  // fixed by the training set: the eval set follows it
  auto fixed = ListImageFolder(d.string(), {}, &classes);
  REQUIRE(fixed.ok());
  CHECK((*fixed)[0].label == 1);
  classes = {"dog"};
  CHECK(ListImageFolder(d.string(), {}, &classes)
            .status()
            .message()
            .find("class folder 'cat' is not one of the training set's classes ('dog')") != std::string::npos);

  const fs::path n = Dir("numbered");
  for (const char* f : {"7/a.png", "2/b.png"}) {
    fs::create_directories((n / f).parent_path());
    WritePng(n / f, PNG_FORMAT_GRAY, 1, 1, px);
  }
  classes.clear();
  auto numbered = ListImageFolder(n.string(), {}, &classes);
  REQUIRE(numbered.ok());
  CHECK((*numbered)[0].label == 2);
  CHECK((*numbered)[1].label == 7);
  CHECK(classes.size() == 8);

  fs::create_directories(n / "3");
  classes.clear();
  CHECK(ListImageFolder(n.string(), {}, &classes).status().message() ==
        (n / "3").string() + ": a class folder without images");
  fs::remove(n / "3");
  WritePng(n / "loose.png", PNG_FORMAT_GRAY, 1, 1, px);
  classes.clear();
  CHECK(ListImageFolder(n.string(), {}, &classes).status().message().find("loose.png: an image directly in") !=
        std::string::npos);
  classes.clear();
  CHECK(ListImageFolder(Dir("empty").string(), {}, &classes).status().message().find("no class folders") !=
        std::string::npos);
}

TEST_CASE("ReadImageDataset: a PNG folder, labelled by its class folders, normalised as the runtime does") {
  qc::qat::ImageSpecOfModel spec;
  spec.channels = 3;
  spec.height = 3;
  spec.width = 5;
  spec.rescale_factor = 1.0f / 255.0f;
  spec.mean = {0.5f, 0.4f, 0.3f};
  spec.stddev = {0.2f, 0.25f, 0.3f};
  const fs::path d = Dir("dataset");
  std::vector<uint8_t> first = Card(5, 3), second = Card(5, 3);
  for (uint8_t& v : second) v = static_cast<uint8_t>(255 - v);
  fs::create_directories(d / "0");
  fs::create_directories(d / "1");
  WritePng(d / "1" / "a.png", PNG_FORMAT_RGB, 5, 3, first);
  WritePng(d / "0" / "b.png", PNG_FORMAT_RGB, 5, 3, second);
  int classes = 0;
  std::vector<std::string> names;
  auto examples = qc::qat::ReadImageDataset(d.string(), spec, &classes, &names);
  REQUIRE_MESSAGE(examples.ok(), examples.status().ToString());
  REQUIRE(examples->size() == 2);
  CHECK(classes == 2);
  CHECK(names == std::vector<std::string>{"0", "1"});
  const qc::qat::EncodedExample& b = (*examples)[0];  // folder "0" sorts first
  CHECK(b.label == 0);
  CHECK(b.image_shape == std::vector<int64_t>{3, 3, 5});
  // Channel-planar, normalised as the runtime does: (p / 255 - mean[c]) / std[c].
  for (size_t c = 0; c < 3; ++c) {
    for (size_t p = 0; p < 15; ++p) {
      const float want = (static_cast<float>(second[p * 3 + c]) * spec.rescale_factor - spec.mean[c]) / spec.stddev[c];
      CHECK(b.pixels[c * 15 + p] == want);
    }
  }
  spec.width = 4;
  auto wrong_size = qc::qat::ReadImageDataset(d.string(), spec);
  REQUIRE_FALSE(wrong_size.ok());
  CHECK(wrong_size.status().message().find("b.png: 5x3 pixels, the model takes 4x3 (images are not resized)") !=
        std::string::npos);
}
