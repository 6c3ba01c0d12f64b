// fp32 ops (runtime/ops/): each against a straightforward double-precision reference written here, plus the
// documented edge cases (in place, special values, errors naming what is wrong).
//
// Tolerances: |got - want| <= abs + rel·|want| with abs = 1e-6 and rel = 1e-5 unless a case says otherwise. The
// ops compute in float (accumulating in double where documented), so their error is a few float ulps
// (~6e-8 relative); 1e-5 is the "match PyTorch" budget and still catches any wrong term or index.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/layer_norm.h"
#include "ops/patch_embed.h"
#include "ops/pooling.h"
#include "ops/softmax.h"
#include "tests/support/guard_buffer.h"

namespace {

std::vector<float> Random(size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Largest violation ratio |got - want| / (abs + rel·|want|); <= 1 passes. NaN where a number is expected fails.
double Worst(const std::vector<float>& got, const std::vector<double>& want, double abs = 1e-6, double rel = 1e-5) {
  REQUIRE(got.size() == want.size());
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(got[i] - want[i]);
    worst = std::max(worst, std::isnan(err) ? 1e30 : err / (abs + rel * std::fabs(want[i])));
  }
  return worst;
}

constexpr float kInf = std::numeric_limits<float>::infinity();

}  // namespace

TEST_CASE("LayerNorm matches the two-pass double formula, with and without affine, in place") {
  for (size_t cols : {size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{768}, size_t{1001}}) {
    const size_t rows = 5;
    // Large offset with small spread: a one-pass float variance would cancel catastrophically here.
    std::vector<float> x = Random(rows * cols, 11 + cols, -1.0f, 1.0f);
    for (size_t i = 0; i < x.size(); ++i) x[i] = 300.0f + 0.05f * x[i] * static_cast<float>(1 + i % 3);
    const std::vector<float> gamma = Random(cols, 3, 0.5f, 1.5f), beta = Random(cols, 4);
    for (int affine = 0; affine < 4; ++affine) {
      const float* g = (affine & 1) ? gamma.data() : nullptr;
      const float* b = (affine & 2) ? beta.data() : nullptr;
      const float eps = 1e-12f;
      std::vector<double> want(rows * cols);
      for (size_t r = 0; r < rows; ++r) {
        double mean = 0, var = 0;
        for (size_t c = 0; c < cols; ++c) mean += x[r * cols + c];
        mean /= cols;
        for (size_t c = 0; c < cols; ++c) var += (x[r * cols + c] - mean) * (x[r * cols + c] - mean);
        var /= cols;
        for (size_t c = 0; c < cols; ++c) {
          const double n = (x[r * cols + c] - mean) / std::sqrt(var + eps);
          want[r * cols + c] = n * (g ? g[c] : 1.0) + (b ? b[c] : 0.0);
        }
      }
      std::vector<float> y(x.size());
      qc::LayerNorm(x.data(), rows, cols, g, b, eps, y.data());
      INFO("cols=", cols, " affine=", affine);
      CHECK(Worst(y, want) <= 1.0);
      std::vector<float> inplace = x;
      qc::LayerNorm(inplace.data(), rows, cols, g, b, eps, inplace.data());
      CHECK(inplace == y);
    }
  }
  // A constant row normalises to beta (variance 0, eps keeps it finite).
  std::vector<float> x(16, 2.5f), y(16);
  std::vector<float> beta = Random(16, 9);
  qc::LayerNorm(x.data(), 1, 16, nullptr, beta.data(), 1e-5f, y.data());
  CHECK(y == beta);
}

TEST_CASE("Softmax matches the double formula and PyTorch's special cases") {
  for (size_t cols : {size_t{1}, size_t{5}, size_t{128}, size_t{1000}}) {
    const size_t rows = 4;
    const std::vector<float> x = Random(rows * cols, 21 + cols, -30.0f, 30.0f);
    std::vector<double> want(x.size());
    for (size_t r = 0; r < rows; ++r) {
      double mx = -1e300, sum = 0;
      for (size_t c = 0; c < cols; ++c) mx = std::max(mx, double(x[r * cols + c]));
      for (size_t c = 0; c < cols; ++c) sum += std::exp(x[r * cols + c] - mx);
      for (size_t c = 0; c < cols; ++c) want[r * cols + c] = std::exp(x[r * cols + c] - mx) / sum;
    }
    std::vector<float> y(x.size());
    qc::Softmax(x.data(), rows, cols, y.data());
    INFO("cols=", cols);
    CHECK(Worst(y, want, 1e-7, 1e-5) <= 1.0);
    std::vector<float> inplace = x;
    qc::Softmax(inplace.data(), rows, cols, inplace.data());
    CHECK(inplace == y);
  }
  std::vector<float> equal(7, -3.4e38f);  // equal values (e.g. every key masked with float min): uniform
  qc::SoftmaxRowInPlace(equal.data(), equal.size());
  for (float v : equal) CHECK(v == doctest::Approx(1.0 / 7).epsilon(1e-6));
  std::vector<float> some_inf = {1.0f, -kInf, 2.0f, -kInf};
  qc::SoftmaxRowInPlace(some_inf.data(), 4);
  CHECK(some_inf[1] == 0.0f);
  CHECK(some_inf[3] == 0.0f);
  CHECK(some_inf[2] == doctest::Approx(std::exp(1.0) / (1 + std::exp(1.0))).epsilon(1e-6));
  std::vector<float> all_inf(3, -kInf), with_nan = {0.0f, std::nanf(""), 1.0f};
  qc::SoftmaxRowInPlace(all_inf.data(), 3);
  qc::SoftmaxRowInPlace(with_nan.data(), 3);
  for (float v : all_inf) CHECK(std::isnan(v));
  for (float v : with_nan) CHECK(std::isnan(v));
}

TEST_CASE("Activations match their double formulas") {
  std::vector<float> x;
  for (int i = -2000; i <= 2000; ++i) x.push_back(i * 0.005f);  // [-10, 10]
  for (float v : {-0.0f, 1e-30f, -1e-30f, 30.0f, -30.0f}) x.push_back(v);
  const size_t n = x.size();
  std::vector<double> erf_want(n), tanh_gelu_want(n), tanh_want(n), relu_want(n);
  for (size_t i = 0; i < n; ++i) {
    const double v = x[i];
    erf_want[i] = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    tanh_gelu_want[i] = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    tanh_want[i] = std::tanh(v);
    relu_want[i] = v < 0 ? 0.0 : v;
  }
  std::vector<float> y(n);
  qc::GeluErf(x.data(), n, y.data());
  CHECK(Worst(y, erf_want, 2e-6) <= 1.0);  // the budget of kernels/f32-f32-gelu
  qc::GeluTanh(x.data(), n, y.data());
  CHECK(Worst(y, tanh_gelu_want) <= 1.0);
  qc::Tanh(x.data(), n, y.data());
  CHECK(Worst(y, tanh_want) <= 1.0);
  qc::Relu(x.data(), n, y.data());
  CHECK(Worst(y, relu_want, 0.0, 0.0) <= 1.0);  // exact
  // The two GELUs really differ (the test would notice a swap): 4.7e-4 apart at x = 2.7, their widest gap.
  std::vector<float> a(1), b(1);
  const float at = 2.7f;
  qc::GeluErf(&at, 1, a.data());
  qc::GeluTanh(&at, 1, b.data());
  CHECK(std::fabs(a[0] - b[0]) > 4e-4);
  // In place, and NaN through ReLU.
  std::vector<float> inplace = x;
  qc::GeluErf(inplace.data(), n, inplace.data());
  CHECK(Worst(inplace, erf_want, 2e-6) <= 1.0);
  float nan = std::nanf(""), out = 0.0f;
  qc::Relu(&nan, 1, &out);
  CHECK(std::isnan(out));
}

TEST_CASE("Add and AddBias") {
  const size_t rows = 3, cols = 37;
  const std::vector<float> a = Random(rows * cols, 1), b = Random(rows * cols, 2), bias = Random(cols, 3);
  std::vector<float> y(rows * cols);
  qc::Add(a.data(), b.data(), rows * cols, y.data());
  for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == a[i] + b[i]);
  qc::AddBias(a.data(), bias.data(), rows, cols, y.data());
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) CHECK(y[r * cols + c] == a[r * cols + c] + bias[c]);
  }
}

TEST_CASE("Embedding gather, position embeddings and the prepended token") {
  const size_t rows = 10, dim = 6;
  const std::vector<float> table = Random(rows * dim, 5);
  const std::vector<int64_t> ids = {3, 0, 9, 3, 7};
  std::vector<float> out(ids.size() * dim, -1.0f);
  REQUIRE(qc::EmbeddingGather(ids.data(), ids.size(), table.data(), rows, dim, out.data()).ok());
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t c = 0; c < dim; ++c) CHECK(out[i * dim + c] == table[ids[i] * dim + c]);
  }
  std::vector<float> sum = out;
  REQUIRE(qc::EmbeddingGatherAdd(ids.data(), ids.size(), table.data(), rows, dim, sum.data()).ok());
  for (size_t i = 0; i < sum.size(); ++i) CHECK(sum[i] == 2 * out[i]);

  for (int64_t bad : {int64_t{10}, int64_t{-1}, std::numeric_limits<int64_t>::min()}) {
    std::vector<int64_t> bad_ids = {1, 2, bad, 4};
    const qc::Status st = qc::EmbeddingGather(bad_ids.data(), 4, table.data(), rows, dim, out.data());
    CHECK(st.code() == qc::StatusCode::kOutOfRange);
    CHECK(st.message().find("id " + std::to_string(bad)) != std::string::npos);
    CHECK(st.message().find("position 2") != std::string::npos);
    std::vector<float> before = sum;
    CHECK_FALSE(qc::EmbeddingGatherAdd(bad_ids.data(), 4, table.data(), rows, dim, sum.data()).ok());
    CHECK(sum == before);  // ids are checked before anything is added
  }

  const size_t batch = 2, seq = 4;
  const std::vector<float> x = Random(batch * seq * dim, 6);
  std::vector<float> y(x.size());
  REQUIRE(qc::AddPositionEmbedding(x.data(), batch, seq, dim, table.data(), rows, 2, y.data()).ok());
  for (size_t b = 0; b < batch; ++b) {
    for (size_t s = 0; s < seq; ++s) {
      for (size_t c = 0; c < dim; ++c) {
        const size_t i = (b * seq + s) * dim + c;
        CHECK(y[i] == x[i] + table[(2 + s) * dim + c]);
      }
    }
  }
  CHECK(qc::AddPositionEmbedding(x.data(), batch, seq, dim, table.data(), rows, 6, y.data()).ok());  // 6..10 fits
  const qc::Status too_long = qc::AddPositionEmbedding(x.data(), batch, seq, dim, table.data(), rows, 7, y.data());
  CHECK(too_long.code() == qc::StatusCode::kOutOfRange);
  CHECK(too_long.message().find("10 rows") != std::string::npos);

  const std::vector<float> token = Random(dim, 8);
  std::vector<float> with_cls(batch * (seq + 1) * dim);
  qc::PrependToken(x.data(), batch, seq, dim, token.data(), with_cls.data());
  for (size_t b = 0; b < batch; ++b) {
    for (size_t c = 0; c < dim; ++c) CHECK(with_cls[b * (seq + 1) * dim + c] == token[c]);
    for (size_t s = 0; s < seq; ++s) {
      for (size_t c = 0; c < dim; ++c) {
        CHECK(with_cls[(b * (seq + 1) + 1 + s) * dim + c] == x[(b * seq + s) * dim + c]);
      }
    }
  }
}

TEST_CASE("Token selection, masked mean pooling, L2 normalisation") {
  const size_t batch = 4, seq = 5, dim = 3;
  const std::vector<float> x = Random(batch * seq * dim, 12);
  std::vector<float> out(batch * dim);
  REQUIRE(qc::SelectToken(x.data(), batch, seq, dim, 0, out.data()).ok());
  for (size_t b = 0; b < batch; ++b) {
    for (size_t c = 0; c < dim; ++c) CHECK(out[b * dim + c] == x[b * seq * dim + c]);
  }
  CHECK(qc::SelectToken(x.data(), batch, seq, dim, 5, out.data()).code() == qc::StatusCode::kOutOfRange);

  // Rows: all kept, right padding, left padding, nothing kept.
  const std::vector<int64_t> mask_i = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0};
  std::vector<float> mask_f(mask_i.begin(), mask_i.end());
  for (const qc::TokenMask& mask : {qc::TokenMask::Int64(mask_i.data()), qc::TokenMask::Float(mask_f.data())}) {
    std::vector<double> want(batch * dim, 0.0);
    for (size_t b = 0; b < batch; ++b) {
      double kept = 0;
      for (size_t s = 0; s < seq; ++s) kept += mask_i[b * seq + s];
      for (size_t c = 0; c < dim; ++c) {
        double acc = 0;
        for (size_t s = 0; s < seq; ++s) acc += mask_i[b * seq + s] * double(x[(b * seq + s) * dim + c]);
        want[b * dim + c] = acc / std::max(kept, 1e-9);
      }
    }
    qc::MaskedMeanPool(x.data(), batch, seq, dim, mask, out.data());
    CHECK(Worst(out, want) <= 1.0);
    for (size_t c = 0; c < dim; ++c) CHECK(out[3 * dim + c] == 0.0f);  // nothing kept: zeros, not NaN
  }
  qc::MaskedMeanPool(x.data(), batch, seq, dim, qc::TokenMask::None(), out.data());
  for (size_t c = 0; c < dim; ++c) {
    double acc = 0;
    for (size_t s = 0; s < seq; ++s) acc += x[s * dim + c];
    CHECK(out[c] == doctest::Approx(acc / seq).epsilon(1e-6));
  }

  std::vector<float> v = {3.0f, 4.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1e-20f, 0.0f, 0.0f};
  qc::L2Normalize(v.data(), 3, 3, 1e-12f, v.data());
  CHECK(v[0] == doctest::Approx(0.6f));
  CHECK(v[1] == doctest::Approx(0.8f));
  for (size_t i = 3; i < 6; ++i) CHECK(v[i] == 0.0f);  // zero vector stays zero
  CHECK(v[6] == doctest::Approx(1e-8f));               // norm below eps: divided by eps, as torch
  const std::vector<float> r = Random(4 * 50, 13);
  std::vector<float> n(r.size());
  qc::L2Normalize(r.data(), 4, 50, 1e-12f, n.data());
  for (size_t row = 0; row < 4; ++row) {
    double sq = 0;
    for (size_t c = 0; c < 50; ++c) sq += double(n[row * 50 + c]) * n[row * 50 + c];
    CHECK(sq == doctest::Approx(1.0).epsilon(1e-6));
  }
}

TEST_CASE("PatchEmbed equals a direct stride-P convolution") {
  struct Case {
    size_t batch, channels, height, width, patch, dim;
  };
  for (const Case& c :
       {Case{2, 3, 8, 12, 4, 5}, Case{1, 3, 10, 13, 4, 7}, Case{1, 1, 3, 3, 3, 2}, Case{2, 3, 32, 32, 16, 33}}) {
    const qc::PatchEmbedShape s{c.batch, c.channels, c.height, c.width, c.patch, c.dim};
    const size_t gh = c.height / c.patch, gw = c.width / c.patch, k = c.channels * c.patch * c.patch;
    qc::test::GuardBuffer<float> image(c.batch * c.channels * c.height * c.width), weight(c.dim * k);
    const std::vector<float> img = Random(image.size(), 31), w = Random(weight.size(), 32), bias = Random(c.dim, 33);
    std::copy(img.begin(), img.end(), image.data());
    std::copy(w.begin(), w.end(), weight.data());
    std::vector<double> want(c.batch * gh * gw * c.dim), scale(want.size());
    for (size_t b = 0; b < c.batch; ++b) {
      for (size_t py = 0; py < gh; ++py) {
        for (size_t px = 0; px < gw; ++px) {
          for (size_t d = 0; d < c.dim; ++d) {
            double acc = bias[d];
            for (size_t ch = 0; ch < c.channels; ++ch) {
              for (size_t i = 0; i < c.patch; ++i) {
                for (size_t j = 0; j < c.patch; ++j) {
                  acc += double(w[((d * c.channels + ch) * c.patch + i) * c.patch + j]) *
                         img[((b * c.channels + ch) * c.height + py * c.patch + i) * c.width + px * c.patch + j];
                }
              }
            }
            want[((b * gh + py) * gw + px) * c.dim + d] = acc;
          }
        }
      }
    }
    CHECK(qc::PatchEmbedScratchFloats(s) == gh * gw * k);
    std::vector<float> out(want.size()), out2(want.size());
    std::vector<float> scratch(qc::PatchEmbedScratchFloats(s));
    REQUIRE(qc::PatchEmbed(s, image.data(), weight.data(), bias.data(), out.data(), scratch.data()).ok());
    REQUIRE(qc::PatchEmbed(s, image.data(), weight.data(), bias.data(), out2.data(), nullptr).ok());
    INFO("image ", c.height, "x", c.width, " patch ", c.patch);
    CHECK(Worst(out, want, 1e-5, 1e-5) <= 1.0);
    CHECK(out == out2);
  }
  qc::PatchEmbedShape bad{1, 3, 8, 8, 0, 4};
  std::vector<float> dummy(1);
  CHECK(qc::PatchEmbed(bad, dummy.data(), dummy.data(), nullptr, dummy.data(), nullptr).code() ==
        qc::StatusCode::kInvalidArgument);
  bad.patch = 9;
  CHECK(qc::PatchEmbed(bad, dummy.data(), dummy.data(), nullptr, dummy.data(), nullptr).code() ==
        qc::StatusCode::kInvalidArgument);
}
