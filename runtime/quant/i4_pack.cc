#include "quant/i4_pack.h"

#include <cstring>
#include <string>

namespace qc {

Status PackI4(const int8_t* codes, size_t n, size_t k, size_t codes_stride, uint8_t* packed, size_t packed_bytes) {
  if (k > kI4MaxK) return InvalidArgument("PackI4: k = " + std::to_string(k) + " exceeds kI4MaxK");
  if (packed_bytes < I4PackedBytes(n, k)) return InvalidArgument("PackI4: output buffer too small");
  std::memset(packed, kI4PaddingByte, I4PackedBytes(n, k));
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < k; ++c) {
      const int v = codes[r * codes_stride + c];
      if (v < -kI4Max || v > kI4Max) {
        return InvalidArgument("PackI4: code " + std::to_string(v) + " at (" + std::to_string(r) + ", " +
                               std::to_string(c) + ") is outside [-7, 7]");
      }
      uint8_t& byte = packed[I4PackedByteIndex(k, r, c)];
      const unsigned shift = I4PackedShift(c);
      byte = static_cast<uint8_t>((byte & ~(0xFu << shift)) | (static_cast<unsigned>(v + kI4CodeOffset) << shift));
    }
  }
  return Status::Ok();
}

void UnpackI4(const uint8_t* packed, size_t n, size_t k, int8_t* codes, size_t codes_stride) {
  for (size_t r = 0; r < n; ++r)
    for (size_t c = 0; c < k; ++c)
      codes[r * codes_stride + c] = static_cast<int8_t>(static_cast<int>(I4PackedCode(packed, k, r, c)) - kI4CodeOffset);
}

}  // namespace qc
