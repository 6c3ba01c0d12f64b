// TWN ternarization (quant/twn.h) on hand-computed cases, and the packed T2 R4/K128 layout (quant/t2_pack.h):
// byte positions and shifts as documented, padding codes, round trips through both packers, and the errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "quant/t2_pack.h"
#include "quant/twn.h"

namespace {

using qc::TwnGranularity;

constexpr float kNoClip = std::numeric_limits<float>::infinity();

struct Twn {
  std::vector<uint8_t> codes;
  std::vector<float> alpha, delta;
  qc::Status status;
};

Twn Run(const std::vector<float>& w, size_t rows, size_t cols, TwnGranularity g, float clip = qc::kTwnDefaultClip) {
  Twn t;
  t.codes.assign(rows * cols, 0xee);
  t.alpha.assign(qc::TwnScaleCount(rows, g), -1.0f);
  t.delta.assign(qc::TwnScaleCount(rows, g), -1.0f);
  t.status =
      qc::TernarizeTwn(w.data(), rows, cols, cols, {g, clip}, t.codes.data(), cols, t.alpha.data(), t.delta.data());
  return t;
}

// Dyadic values, so every sum and mean below is exact and the expected Δ, α are exactly the hand-computed ones.
const std::vector<float> kW = {0.125f, -0.5f,    0.875f, 0.0f,  //
                               0.25f,  -0.0625f, -1.25f, 0.1875f};

}  // namespace

TEST_CASE("TWN per tensor: hand-computed Δ, α and codes") {
  const Twn t = Run(kW, 2, 4, TwnGranularity::kPerTensor);
  REQUIRE(t.status.ok());
  // Σ|w| = 3.25, mean = 0.40625, Δ = 0.7f · 0.40625; kept |w| > Δ: 0.5, 0.875, 1.25 -> α = 2.625 / 3 = 0.875.
  CHECK(t.delta[0] == 0.7f * 0.40625f);
  CHECK(t.alpha[0] == 0.875f);
  CHECK(t.codes == std::vector<uint8_t>{1, 0, 2, 1, 1, 1, 0, 1});
  for (size_t i = 0; i < kW.size(); ++i) {
    const float w_hat = qc::TwnDequantize(t.codes[i], t.alpha[0]);
    CHECK(w_hat == (t.codes[i] == 1 ? 0.0f : std::copysign(0.875f, kW[i])));
  }
}

TEST_CASE("TWN per row: one Δ and α per row") {
  const Twn t = Run(kW, 2, 4, TwnGranularity::kPerRow);
  REQUIRE(t.status.ok());
  // Row 0: Σ = 1.5, mean 0.375, kept 0.5, 0.875 -> α = 0.6875. Row 1: Σ = 1.75, mean 0.4375, kept 1.25 -> α = 1.25.
  CHECK(t.delta[0] == 0.7f * 0.375f);
  CHECK(t.delta[1] == 0.7f * 0.4375f);
  CHECK(t.alpha[0] == 0.6875f);
  CHECK(t.alpha[1] == 1.25f);
  CHECK(t.codes == std::vector<uint8_t>{1, 0, 2, 1, 1, 1, 0, 1});
}

TEST_CASE("TWN: a weight equal to Δ is not kept (strict >), in either sign") {
  // mean = 10, Δ = float(0.7f · 10) = 7 exactly; |w| = 7 becomes 0.
  const Twn t = Run({7.0f, 13.0f, -7.0f, -13.0f}, 1, 4, TwnGranularity::kPerTensor, kNoClip);
  REQUIRE(t.status.ok());
  CHECK(t.delta[0] == 7.0f);
  CHECK(t.alpha[0] == 13.0f);
  CHECK(t.codes == std::vector<uint8_t>{1, 2, 1, 0});
}

TEST_CASE("TWN: the clip applies before the statistics") {
  // clamp to ±2.5: |w_c| = 2.5, 2.5, 0.5, 0.5 -> mean 1.5, Δ = 1.05, kept the two 2.5 -> α = 2.5.
  const Twn t = Run({4.0f, -3.0f, 0.5f, -0.5f}, 1, 4, TwnGranularity::kPerTensor);
  REQUIRE(t.status.ok());
  CHECK(t.delta[0] == 0.7f * 1.5f);
  CHECK(t.alpha[0] == 2.5f);
  CHECK(t.codes == std::vector<uint8_t>{2, 0, 1, 1});
  // Without the clip: mean 2, Δ = 1.4, kept 4 and 3 -> α = 3.5.
  const Twn u = Run({4.0f, -3.0f, 0.5f, -0.5f}, 1, 4, TwnGranularity::kPerTensor, kNoClip);
  CHECK(u.alpha[0] == 3.5f);
  // An infinity is fine when clipped, an error when not.
  CHECK(Run({std::numeric_limits<float>::infinity(), 1.0f}, 1, 2, TwnGranularity::kPerTensor).status.ok());
  CHECK_FALSE(
      Run({std::numeric_limits<float>::infinity(), 1.0f}, 1, 2, TwnGranularity::kPerTensor, kNoClip).status.ok());
}

TEST_CASE("TWN: all-zero groups, empty tensors and bad input") {
  const Twn z = Run({0.0f, -0.0f, 0.0f, 1.0f, -2.0f, 0.5f}, 2, 3, TwnGranularity::kPerRow);
  REQUIRE(z.status.ok());
  CHECK(z.alpha[0] == 0.0f);
  CHECK(z.delta[0] == 0.0f);
  CHECK(z.codes[0] == 1);
  CHECK(z.codes[1] == 1);
  CHECK(z.codes[2] == 1);
  CHECK(z.alpha[1] == 1.5f);  // mean 7/6, Δ ≈ 0.817: kept 1 and 2
  const Twn e = Run({}, 0, 0, TwnGranularity::kPerTensor);
  CHECK(e.status.ok());
  CHECK(e.alpha[0] == 0.0f);
  const Twn nan = Run({1.0f, std::nanf("")}, 1, 2, TwnGranularity::kPerTensor);
  CHECK(nan.status.code() == qc::StatusCode::kInvalidArgument);
  CHECK(nan.status.message().find("col 1") != std::string::npos);
  CHECK_FALSE(Run({1.0f}, 1, 1, TwnGranularity::kPerTensor, 0.0f).status.ok());
}

namespace {

// The contract of docs/quantization.md §2 written as the plainest loop: element i of a group (row-major) adds to
// partial i mod 8 in double, partials summed 0..7. The library runs these lanes as vectors; results must be identical.
struct PlainGroup {
  float delta, alpha;
};

PlainGroup PlainTwnGroup(const std::vector<float>& w, size_t row0, size_t row1, size_t cols, size_t stride,
                         float clip) {
  const auto magnitude = [&](size_t r, size_t c) {
    return std::fabs(std::min(std::max(w[r * stride + c], -clip), clip));
  };
  double part[8] = {};
  size_t i = 0;
  for (size_t r = row0; r < row1; ++r) {
    for (size_t c = 0; c < cols; ++c, ++i) part[i % 8] += magnitude(r, c);
  }
  double sum = 0.0;
  for (double p : part) sum += p;
  const size_t count = (row1 - row0) * cols;
  const float delta = qc::kTwnThresholdFactor * static_cast<float>(sum / static_cast<double>(count));
  double kept_part[8] = {};
  size_t kept = 0;
  i = 0;
  for (size_t r = row0; r < row1; ++r) {
    for (size_t c = 0; c < cols; ++c, ++i) {
      const float a = magnitude(r, c);
      if (a > delta) kept_part[i % 8] += a, ++kept;
    }
  }
  double kept_sum = 0.0;
  for (double p : kept_part) kept_sum += p;
  return {delta, kept > 0 ? static_cast<float>(kept_sum / static_cast<double>(kept)) : 0.0f};
}

}  // namespace

TEST_CASE("TWN equals the plain 8-lane loop on random strided matrices, every granularity and clip") {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (size_t cols : {1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 67, 256}) {
    for (size_t rows : {1, 2, 5, 13}) {
      for (size_t pad : {0, 3}) {
        const size_t stride = cols + pad;
        std::vector<float> w(rows * stride);
        for (float& v : w) v = normal(rng) * 0.05f;
        w[rng() % w.size()] = 4.0f;  // above the clip
        for (float clip : {qc::kTwnDefaultClip, 0.04f, kNoClip}) {
          for (TwnGranularity g : {TwnGranularity::kPerTensor, TwnGranularity::kPerRow}) {
            CAPTURE(cols);
            CAPTURE(rows);
            CAPTURE(pad);
            CAPTURE(clip);
            const size_t groups = qc::TwnScaleCount(rows, g);
            std::vector<uint8_t> codes(rows * cols);
            std::vector<float> alpha(groups), delta(groups);
            REQUIRE(qc::TernarizeTwn(w.data(), rows, cols, stride, {g, clip}, codes.data(), cols, alpha.data(),
                                     delta.data())
                        .ok());
            for (size_t grp = 0; grp < groups; ++grp) {
              const size_t r0 = g == TwnGranularity::kPerRow ? grp : 0;
              const size_t r1 = g == TwnGranularity::kPerRow ? grp + 1 : rows;
              const PlainGroup want = PlainTwnGroup(w, r0, r1, cols, stride, clip);
              CHECK(delta[grp] == want.delta);
              CHECK(alpha[grp] == want.alpha);
              for (size_t r = r0; r < r1; ++r) {
                for (size_t c = 0; c < cols; ++c) {
                  const float v = std::min(std::max(w[r * stride + c], -clip), clip);
                  const uint8_t code = v > want.delta ? 2 : (v < -want.delta ? 0 : 1);
                  if (codes[r * cols + c] != code) FAIL_CHECK("code (" << r << ", " << c << ")");
                }
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("TWN: a NaN or an unclipped infinity anywhere in a long row is reported by position") {
  for (size_t pos : {0, 5, 8, 13, 64, 99}) {
    std::vector<float> w(100, 0.25f);
    w[pos] = std::nanf("");
    Twn t = Run(w, 1, 100, TwnGranularity::kPerRow);
    CHECK(t.status.code() == qc::StatusCode::kInvalidArgument);
    CHECK(t.status.message().find("col " + std::to_string(pos) + ")") != std::string::npos);
    w[pos] = std::numeric_limits<float>::infinity();
    CHECK(Run(w, 1, 100, TwnGranularity::kPerRow).status.ok());  // the default clip bounds it
    t = Run(w, 1, 100, TwnGranularity::kPerRow, kNoClip);
    CHECK(t.status.message().find("col " + std::to_string(pos) + ")") != std::string::npos);
  }
}

TEST_CASE("T2 packing: byte positions and shifts of the documented layout") {
  // One row group, two K blocks (k = 200): set single codes and find them where the layout says.
  const size_t n = 3, k = 200;
  std::vector<uint8_t> codes(n * k, 1);
  codes[0 * k + 0] = 2;    // row 0, col 0: byte 0, bits 7:6
  codes[0 * k + 32] = 0;   // row 0, col 32: byte 0, bits 5:4
  codes[1 * k + 97] = 2;   // row 1, col 97: byte 32 + 1, bits 1:0
  codes[2 * k + 130] = 0;  // row 2, col 130 (block 1, col 2): byte 128 + 64 + 2, bits 7:6
  std::vector<uint8_t> packed(qc::T2PackedBytes(n, k));
  REQUIRE(packed.size() == 256);
  REQUIRE(qc::PackT2(codes.data(), n, k, k, packed.data(), packed.size()).ok());
  CHECK(packed[0] == 0x85);             // 10 00 01 01
  CHECK(packed[32 + 1] == 0x56);        // 01 01 01 10
  CHECK(packed[128 + 64 + 2] == 0x15);  // 00 01 01 01
  CHECK(packed[1] == 0x55);
  CHECK(packed[96] == 0x55);        // row 3 is padding
  CHECK(packed[128 + 31] == 0x55);  // cols 200..255 of block 1 are padding
  CHECK(qc::T2PackedByteIndex(k, 2, 130) == 194);
  CHECK(qc::T2PackedShift(130) == 6);
  CHECK(qc::T2PackedShift(127) == 0);
  for (size_t r = 0; r < 4; ++r) {
    for (size_t c = 0; c < 256; ++c) {
      const uint8_t want = r < n && c < k ? codes[r * k + c] : qc::kT2CodeZero;
      if (qc::T2PackedCode(packed.data(), k, r, c) != want) FAIL_CHECK("row ", r, " col ", c);
    }
  }
}

TEST_CASE("T2 packing: round trips through PackT2 and the dense .qm form") {
  std::mt19937 rng(3);
  for (auto [n, k] : std::vector<std::pair<size_t, size_t>>{
           {1, 1}, {4, 128}, {5, 129}, {7, 127}, {8, 256}, {13, 1000}, {64, 384}, {3, 0}, {0, 5}}) {
    INFO("n=", n, " k=", k);
    std::vector<uint8_t> codes(n * k);
    for (uint8_t& c : codes) c = static_cast<uint8_t>(rng() % 3);
    std::vector<uint8_t> packed(qc::T2PackedBytes(n, k)), back(n * k, 9);
    REQUIRE(qc::PackT2(codes.data(), n, k, k, packed.data(), packed.size()).ok());
    qc::UnpackT2(packed.data(), n, k, back.data(), k);
    CHECK(back == codes);
    std::vector<uint8_t> dense(qc::T2DenseBytes(n, k)), packed2(packed.size(), 0);
    qc::UnpackT2ToDense(packed.data(), n, k, dense.data());
    for (size_t i = 0; i < n * k; ++i) CHECK(((dense[i / 4] >> (2 * (i % 4))) & 3) == codes[i]);
    REQUIRE(qc::PackT2FromDense(dense.data(), dense.size(), n, k, packed2.data(), packed2.size()).ok());
    CHECK(packed2 == packed);
  }
}

TEST_CASE("T2 packing: strided input, invalid codes and short buffers are errors") {
  std::vector<uint8_t> codes = {0, 1, 2, 9, 2, 1, 0, 9};  // 2 rows of 3, stride 4 (the 9s are never read)
  std::vector<uint8_t> packed(qc::T2PackedBytes(2, 3));
  REQUIRE(qc::PackT2(codes.data(), 2, 3, 4, packed.data(), packed.size()).ok());
  CHECK(qc::T2PackedCode(packed.data(), 3, 1, 0) == 2);
  codes[1] = 3;
  const qc::Status bad = qc::PackT2(codes.data(), 2, 3, 4, packed.data(), packed.size());
  CHECK(bad.code() == qc::StatusCode::kInvalidArgument);
  CHECK(bad.message().find("row 0, col 1") != std::string::npos);
  codes[1] = 1;
  CHECK_FALSE(qc::PackT2(codes.data(), 2, 3, 4, packed.data(), packed.size() - 1).ok());
  CHECK(qc::PackT2(codes.data(), 1, qc::kT2MaxK + 1, qc::kT2MaxK + 1, packed.data(), 1 << 30).code() ==
        qc::StatusCode::kOutOfRange);
  const uint8_t dense_bad[1] = {0xC0};  // element 3 has code 3
  std::vector<uint8_t> p4(qc::T2PackedBytes(1, 4));
  CHECK_FALSE(qc::PackT2FromDense(dense_bad, 1, 1, 4, p4.data(), p4.size()).ok());
  CHECK_FALSE(qc::PackT2FromDense(dense_bad, 0, 1, 4, p4.data(), p4.size()).ok());
}
