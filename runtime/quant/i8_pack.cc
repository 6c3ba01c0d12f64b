#include "quant/i8_pack.h"

#include <cmath>
#include <cstring>
#include <string>

#include "quant/rounding.h"

namespace qc {
namespace {

std::string At(size_t row, size_t col) {
  return "(" + std::to_string(row) + ", " + std::to_string(col) + ")";
}

}  // namespace

Status QuantizeIntWeights(const float* w, size_t n, size_t k, size_t w_stride, int qmax, bool per_row, int8_t* q,
                          size_t q_stride, float* scales) {
  if (qmax < 1 || qmax > 127) return InvalidArgument("QuantizeIntWeights: qmax " + std::to_string(qmax));
  const float fq = static_cast<float>(qmax);
  float tensor_amax = 0.0f;
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < k; ++c) {
      const float v = w[r * w_stride + c];
      if (!std::isfinite(v)) return InvalidArgument("QuantizeIntWeights: weight " + At(r, c) + " is not finite");
    }
  }
  auto scale_of = [&](float amax, float* s, float* d) {
    // qat/fake_quant.cc QuantizeSymmetric: s = fl(q/amax), d = fl(amax/q), zero when amax = 0 or s overflows.
    const float si = amax > 0.0f ? fq / amax : 0.0f;
    const bool zero = !(amax > 0.0f) || !std::isfinite(si);
    *s = zero ? 0.0f : si;
    *d = zero ? 0.0f : amax / fq;
  };
  float s = 0.0f, d = 0.0f;
  if (!per_row) {
    for (size_t r = 0; r < n; ++r)
      for (size_t c = 0; c < k; ++c) tensor_amax = std::fmax(tensor_amax, std::fabs(w[r * w_stride + c]));
    scale_of(tensor_amax, &s, &d);
    scales[0] = d;
  }
  for (size_t r = 0; r < n; ++r) {
    const float* row = w + r * w_stride;
    if (per_row) {
      float amax = 0.0f;
      for (size_t c = 0; c < k; ++c) amax = std::fmax(amax, std::fabs(row[c]));
      scale_of(amax, &s, &d);
      scales[r] = d;
    }
    for (size_t c = 0; c < k; ++c) {
      int32_t v = RoundHalfEven(row[c] * s);
      v = v < -qmax ? -qmax : (v > qmax ? qmax : v);
      q[r * q_stride + c] = static_cast<int8_t>(v);
    }
  }
  return Status::Ok();
}

Status PackI8(const int8_t* codes, size_t n, size_t k, size_t codes_stride, uint8_t* packed, size_t packed_bytes) {
  if (k > kI8MaxK) return InvalidArgument("PackI8: k = " + std::to_string(k) + " exceeds kI8MaxK");
  if (packed_bytes < I8PackedBytes(n, k)) return InvalidArgument("PackI8: output buffer too small");
  std::memset(packed, kI8CodeOffset, I8PackedBytes(n, k));
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < k; ++c) {
      const int v = codes[r * codes_stride + c];
      if (v < -kI8Max) return InvalidArgument("PackI8: code " + At(r, c) + " is -128 (outside [-127, 127])");
      packed[I8PackedByteIndex(k, r, c)] = static_cast<uint8_t>(v + kI8CodeOffset);
    }
  }
  return Status::Ok();
}

void UnpackI8(const uint8_t* packed, size_t n, size_t k, int8_t* codes, size_t codes_stride) {
  for (size_t r = 0; r < n; ++r)
    for (size_t c = 0; c < k; ++c) codes[r * codes_stride + c] = static_cast<int8_t>(I8PackedWeight(packed, k, r, c));
}

}  // namespace qc
