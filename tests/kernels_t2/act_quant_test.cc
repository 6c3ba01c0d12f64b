// Activation quantization (quant/act_quant.h): ties round half to even, clip, per-token vs per-tensor scales, the
// all-zero rule, zero padding of the row, errors, and bit equality with a plain scalar oracle written here from the
// documented formulas (std::nearbyint, plain loops) for row lengths that exercise the vector path and its tail.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "quant/act_quant.h"
#include "quant/rounding.h"

namespace {

struct Quantized {
  std::vector<int8_t> q;
  std::vector<float> scale, dequant;
  std::vector<int32_t> sum;
  qc::Status status;
};

Quantized Quantize(const std::vector<float>& x, size_t m, size_t k, qc::ActQuantParams p, size_t q_cols,
                   size_t q_stride) {
  Quantized r;
  r.q.assign(m * q_stride, 0x7f);  // 127 everywhere: padding must be overwritten with 0, gaps left alone
  r.scale.assign(m, -1.0f);
  r.dequant.assign(m, -1.0f);
  r.sum.assign(m, -1);
  qc::ActQuantOutput out{r.q.data(), q_stride, q_cols, r.scale.data(), r.dequant.data(), r.sum.data()};
  r.status = qc::QuantizeActivations(x.data(), m, k, k, p, out);
  return r;
}

// Round half to even of v = sgn·(j + 0.5), by the rule: the even one of j, j + 1.
int32_t TieToEven(int j, bool negative) {
  return (negative ? -1 : 1) * (j % 2 == 0 ? j : j + 1);
}

}  // namespace

TEST_CASE("RoundHalfEven rounds ties to the even neighbour") {
  CHECK(qc::RoundHalfEven(0.5f) == 0);
  CHECK(qc::RoundHalfEven(1.5f) == 2);
  CHECK(qc::RoundHalfEven(2.5f) == 2);
  CHECK(qc::RoundHalfEven(-0.5f) == 0);
  CHECK(qc::RoundHalfEven(-1.5f) == -2);
  CHECK(qc::RoundHalfEven(-2.5f) == -2);
  CHECK(qc::RoundHalfEven(126.5f) == 126);
  CHECK(qc::RoundHalfEven(127.49f) == 127);
  CHECK(qc::RoundHalfEven(2.5000002f) == 3);
  CHECK(qc::RoundHalfEven(-1e-8f) == 0);
}

TEST_CASE("activation ties x·s = j + 0.5 round half to even, in the vector body and the tail") {
  for (float amax : {127.0f, 63.5f}) {  // s = 1 and s = 2, both exact
    const float s = 127.0f / amax;
    const size_t k = 45;  // 5 vectors of 8 + a tail of 5
    std::vector<float> x(k);
    std::vector<int32_t> want(k);
    x[0] = amax;
    want[0] = 127;
    for (size_t i = 1; i < k; ++i) {
      const int j = static_cast<int>((i * 37) % 127);  // 0..126, so j + 0.5 <= 126.5
      const bool neg = i % 2 == 1;
      x[i] = (neg ? -1.0f : 1.0f) * (static_cast<float>(j) + 0.5f) / s;
      want[i] = TieToEven(j, neg);
    }
    const Quantized r = Quantize(x, 1, k, {}, k, k);
    REQUIRE(r.status.ok());
    CHECK(r.scale[0] == s);
    CHECK(r.dequant[0] == amax / 127.0f);
    int32_t sum = 0;
    for (size_t i = 0; i < k; ++i) {
      INFO("i=", i, " x=", x[i]);
      CHECK(r.q[i] == want[i]);
      sum += want[i];
    }
    CHECK(r.sum[0] == sum);
  }
}

TEST_CASE("activation clip, per-tensor scale and integer row sums") {
  // clip 2.5: x_c = [2.5, -2.5, 1, 0.25]; s = float(127 / 2.5) = 50.8; q = [127, -127, round(50.8), round(12.7)].
  const Quantized c = Quantize({5.0f, -3.0f, 1.0f, 0.25f}, 1, 4, {qc::ActGranularity::kPerToken, 2.5f}, 4, 4);
  REQUIRE(c.status.ok());
  CHECK(c.scale[0] == 127.0f / 2.5f);
  CHECK(c.dequant[0] == 2.5f / 127.0f);
  CHECK(std::vector<int8_t>(c.q.begin(), c.q.end()) == std::vector<int8_t>{127, -127, 51, 13});
  CHECK(c.sum[0] == 64);

  // Per tensor: the largest |x| (127, row 1) sets s = 1 for every row.
  const std::vector<float> x = {1.4f, -2.6f, 3.5f, 0.0f, 127.0f, -4.5f, 0.5f, 2.5f, -0.4f};
  const Quantized t = Quantize(x, 3, 3, {qc::ActGranularity::kPerTensor, qc::kActNoClip}, 3, 3);
  REQUIRE(t.status.ok());
  CHECK(t.q == std::vector<int8_t>{1, -3, 4, 0, 127, -4, 0, 2, 0});
  CHECK(t.sum == std::vector<int32_t>{2, 123, 2});
  for (int r = 0; r < 3; ++r) {
    CHECK(t.scale[r] == 1.0f);
    CHECK(t.dequant[r] == 1.0f);
  }
  // Per token, the same rows get their own scales.
  const Quantized p = Quantize(x, 3, 3, {}, 3, 3);
  CHECK(p.scale[0] == 127.0f / 3.5f);
  CHECK(p.scale[2] == 127.0f / 2.5f);
  CHECK(p.q[2] == 127);
  CHECK(p.q[7] == 127);
}

TEST_CASE("all-zero and vanishing rows get s = d = 0 and q = 0; padding columns are zeroed") {
  const size_t k = 19, q_cols = 128, q_stride = 140;
  std::vector<float> x(3 * k, 0.0f);
  x[k + 3] = -0.0f;
  x[2 * k + 5] = 1e-38f;  // 127 / 1e-38 overflows float: treated as zero
  const Quantized r = Quantize(x, 3, k, {}, q_cols, q_stride);
  REQUIRE(r.status.ok());
  for (size_t row = 0; row < 3; ++row) {
    CHECK(r.scale[row] == 0.0f);
    CHECK(r.dequant[row] == 0.0f);
    CHECK(r.sum[row] == 0);
    for (size_t c = 0; c < q_stride; ++c) {
      const int want = c < q_cols ? 0 : 0x7f;  // written up to q_cols, the stride gap untouched
      if (r.q[row * q_stride + c] != want) FAIL_CHECK("row ", row, " col ", c);
    }
  }
}

TEST_CASE("NaN, unbounded infinities and bad arguments are errors") {
  const float inf = std::numeric_limits<float>::infinity();
  const Quantized nan = Quantize({1.0f, 2.0f, 0.0f, 1.0f, 2.0f, std::nanf("")}, 2, 3, {}, 3, 3);
  CHECK(nan.status.code() == qc::StatusCode::kInvalidArgument);
  CHECK(nan.status.message().find("row 1") != std::string::npos);
  CHECK_FALSE(Quantize({1.0f, inf}, 1, 2, {}, 2, 2).status.ok());
  const Quantized clipped = Quantize({1.0f, -inf}, 1, 2, {qc::ActGranularity::kPerToken, 2.0f}, 2, 2);
  REQUIRE(clipped.status.ok());
  CHECK(clipped.q[1] == -127);
  CHECK_FALSE(Quantize({1.0f}, 1, 1, {qc::ActGranularity::kPerToken, 0.0f}, 1, 1).status.ok());
  CHECK_FALSE(Quantize({1.0f, 2.0f}, 1, 2, {}, 1, 2).status.ok());  // q_cols < k
}

TEST_CASE("vector and scalar paths equal a plain oracle; |x_c - q·d| <= d/2 (+ rounding)") {
  REQUIRE(std::fegetround() == FE_TONEAREST);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (size_t k : {1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 100, 768}) {
    for (auto g : {qc::ActGranularity::kPerToken, qc::ActGranularity::kPerTensor}) {
      for (float clip : {qc::kActNoClip, 2.5f}) {
        const size_t m = 5;
        std::vector<float> x(m * k);
        for (float& v : x) v = normal(rng) * (rng() % 7 == 0 ? 4.0f : 1.0f);
        const Quantized r = Quantize(x, m, k, {g, clip}, k, k);
        REQUIRE(r.status.ok());
        // Oracle: the formulas of act_quant.h, spelled out.
        auto xc = [clip](float v) { return std::min(std::max(v, -clip), clip); };
        std::vector<float> amax(m, 0.0f);
        for (size_t i = 0; i < m; ++i) {
          for (size_t j = 0; j < k; ++j) amax[i] = std::max(amax[i], std::fabs(xc(x[i * k + j])));
        }
        if (g == qc::ActGranularity::kPerTensor)
          std::fill(amax.begin(), amax.end(), *std::max_element(amax.begin(), amax.end()));
        for (size_t i = 0; i < m; ++i) {
          INFO("k=", k, " row=", i, " per_tensor=", g == qc::ActGranularity::kPerTensor, " clip=", clip);
          const float s = 127.0f / amax[i], d = amax[i] / 127.0f;
          CHECK(r.scale[i] == s);
          CHECK(r.dequant[i] == d);
          int32_t sum = 0;
          bool same = true, bounded = true;
          for (size_t j = 0; j < k; ++j) {
            const float prod = xc(x[i * k + j]) * s;
            const int32_t q = std::min(std::max(static_cast<int32_t>(std::nearbyint(prod)), -127), 127);
            same = same && r.q[i * k + j] == q;
            sum += q;
            const double err = std::fabs(static_cast<double>(xc(x[i * k + j])) - static_cast<double>(q) * d);
            bounded = bounded && err <= d * (0.5 + 1e-4);
          }
          CHECK(same);
          CHECK(bounded);
          CHECK(r.sum[i] == sum);
        }
      }
    }
  }
}
