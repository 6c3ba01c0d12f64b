// qc_image_dump FILE CHANNELS: the 8-bit pixels DecodeImageFile gives, raw on stdout (for pil_decode_check.py).
#include <cstdio>
#include <cstdlib>

#include "qat/data/image_files.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: qc_image_dump FILE CHANNELS\n");
    return 2;
  }
  auto image = qc::qat::DecodeImageFile(argv[1], std::atoi(argv[2]));
  if (!image.ok()) {
    std::fprintf(stderr, "%s\n", image.status().ToString().c_str());
    return 1;
  }
  std::printf("%lld %lld %lld\n", static_cast<long long>(image->width), static_cast<long long>(image->height),
              static_cast<long long>(image->channels));
  std::fwrite(image->pixels.data(), 1, image->pixels.size(), stdout);
  return 0;
}
