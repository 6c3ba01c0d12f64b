// Multi-head attention (ops/attention.h) against a naive double-precision reference of Hugging Face's eager path:
// softmax(Q·Kᵀ·scale + (1 - m)·fill) · V per head. Sweeps sequence lengths that are not multiples of any tile,
// head counts and sizes, int64 and float masks with left, right and random padding and fully masked rows, the
// usual fill values, fused QKV buffers, and task splits. Inputs sit against guard pages.
//
// Tolerance: |got - want| <= 1e-5 + 1e-5·|want|. Contexts are convex combinations of V in [-1, 1]; float GEMMs
// and softmax leave errors of a few 1e-7.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/attention.h"
#include "tests/support/guard_buffer.h"

namespace {

using qc::test::GuardBuffer;

constexpr float kFloatMin = std::numeric_limits<float>::lowest();

enum class MaskKind { kNone, kRight, kLeft, kRandom, kRowAllMasked };

const char* Name(MaskKind k) {
  switch (k) {
    case MaskKind::kNone:
      return "none";
    case MaskKind::kRight:
      return "right padding";
    case MaskKind::kLeft:
      return "left padding";
    case MaskKind::kRandom:
      return "random";
    case MaskKind::kRowAllMasked:
      return "one sequence fully masked";
  }
  return "?";
}

std::vector<int64_t> MakeMask(MaskKind kind, size_t batch, size_t seq, std::mt19937& rng) {
  std::vector<int64_t> m(batch * seq, 1);
  for (size_t b = 0; b < batch; ++b) {
    const size_t keep = 1 + rng() % seq;  // at least one real token
    for (size_t s = 0; s < seq; ++s) {
      int64_t& v = m[b * seq + s];
      switch (kind) {
        case MaskKind::kNone:
          break;
        case MaskKind::kRight:
          v = s < keep ? 1 : 0;
          break;
        case MaskKind::kLeft:
          v = s >= seq - keep ? 1 : 0;
          break;
        case MaskKind::kRandom:
          v = rng() % 2;
          break;
        case MaskKind::kRowAllMasked:
          v = b == 0 ? 0 : (s < keep ? 1 : 0);
          break;
      }
    }
  }
  return m;
}

// Naive attention in double, literally the documented formula.
std::vector<double> Reference(const qc::AttentionParams& p, const float* q, const float* k, const float* v,
                              const std::vector<int64_t>* mask) {
  const size_t s = p.seq, h = p.hidden, d = h / p.num_heads, st = p.qkv_stride ? p.qkv_stride : h;
  std::vector<double> out(p.batch * s * h), w(s);
  for (size_t b = 0; b < p.batch; ++b) {
    for (size_t n = 0; n < p.num_heads; ++n) {
      for (size_t i = 0; i < s; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        for (size_t j = 0; j < s; ++j) {
          double dot = 0;
          for (size_t c = 0; c < d; ++c)
            dot += double(q[(b * s + i) * st + n * d + c]) * k[(b * s + j) * st + n * d + c];
          const double m = mask ? double((*mask)[b * s + j]) : 1.0;
          w[j] = dot * p.scale + (m == 1.0 ? 0.0 : (1.0 - m) * double(p.mask_fill));
          mx = std::max(mx, w[j]);
        }
        double sum = 0;
        for (size_t j = 0; j < s; ++j) sum += (w[j] = std::exp(w[j] - mx));
        for (size_t c = 0; c < d; ++c) {
          double acc = 0;
          for (size_t j = 0; j < s; ++j) acc += w[j] / sum * v[(b * s + j) * st + n * d + c];
          out[(b * s + i) * h + n * d + c] = acc;
        }
      }
    }
  }
  return out;
}

// Worst |got - want| / tolerance over [begin, end).
double Worst(const std::vector<float>& got, const std::vector<double>& want, size_t begin, size_t end,
             double tol = 1e-5) {
  double worst = 0;
  for (size_t i = begin; i < end; ++i) {
    const double err = std::fabs(got[i] - want[i]);
    worst = std::max(worst, std::isnan(err) ? 1e30 : err / (tol + tol * std::fabs(want[i])));
  }
  return worst;
}

struct Inputs {
  GuardBuffer<float> q, k, v;
  explicit Inputs(size_t n, unsigned seed) : q(n), k(n), v(n) {
    std::mt19937 rng(seed);
    // Scores of a few units, as in trained models, so softmax is neither flat nor one-hot.
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (size_t i = 0; i < n; ++i) {
      q[i] = 2 * dist(rng);
      k[i] = 2 * dist(rng);
      v[i] = dist(rng);
    }
  }
};

}  // namespace

TEST_CASE("attention matches the naive reference across shapes, masks and fills") {
  std::mt19937 rng(2024);
  struct Shape {
    size_t batch, seq, heads, head_dim;
  };
  const std::vector<Shape> shapes = {{1, 1, 1, 1},   {2, 3, 2, 4},   {3, 7, 3, 5},   {2, 13, 4, 8},
                                     {1, 33, 2, 17}, {2, 64, 2, 64}, {2, 77, 12, 16}};
  int runs = 0;
  for (const Shape& sh : shapes) {
    for (MaskKind kind :
         {MaskKind::kNone, MaskKind::kRight, MaskKind::kLeft, MaskKind::kRandom, MaskKind::kRowAllMasked}) {
      for (float fill : {kFloatMin, -10000.0f}) {
        qc::AttentionParams p;
        p.batch = sh.batch;
        p.seq = sh.seq;
        p.num_heads = sh.heads;
        p.hidden = sh.heads * sh.head_dim;
        p.scale = 1.0f / std::sqrt(float(sh.head_dim));
        p.mask_fill = fill;
        const size_t n = p.batch * p.seq * p.hidden;
        Inputs in(n, ++runs);
        const std::vector<int64_t> mask = MakeMask(kind, p.batch, p.seq, rng);
        const std::vector<float> mask_f(mask.begin(), mask.end());
        const bool masked = kind != MaskKind::kNone;
        const std::vector<double> want = Reference(p, in.q.data(), in.k.data(), in.v.data(), masked ? &mask : nullptr);
        INFO("B=", sh.batch, " S=", sh.seq, " heads=", sh.heads, " d=", sh.head_dim, " mask: ", std::string(Name(kind)),
             " fill=", fill);
        GuardBuffer<float> out(n);
        const qc::TokenMask tm = masked ? qc::TokenMask::Int64(mask.data()) : qc::TokenMask::None();
        REQUIRE(qc::MultiHeadAttention(p, in.q.data(), in.k.data(), in.v.data(), tm, out.data(), nullptr).ok());
        std::vector<float> got(out.data(), out.data() + n);
        // A fully masked sequence (0) with fill -10000 has float scores near -10000, rounded to multiples of
        // 2^-10: its weights carry ~1e-3 relative error, in PyTorch as here, so that sequence gets 2e-3.
        const size_t loose = kind == MaskKind::kRowAllMasked && fill == -10000.0f ? p.seq * p.hidden : 0;
        CHECK(Worst(got, want, 0, loose, 2e-3) <= 1.0);
        CHECK(Worst(got, want, loose, n) <= 1.0);

        if (masked) {  // the float mask gives the same answer
          std::vector<float> scratch(qc::AttentionScratchFloats(p));
          REQUIRE(qc::MultiHeadAttention(p, in.q.data(), in.k.data(), in.v.data(), qc::TokenMask::Float(mask_f.data()),
                                         out.data(), scratch.data())
                      .ok());
          CHECK(std::memcmp(out.data(), got.data(), n * sizeof(float)) == 0);
        }
        if (kind == MaskKind::kRowAllMasked && fill == kFloatMin) {
          // Every weight 1/S: each query of sequence 0 gets the mean of its V rows.
          const size_t d = sh.head_dim;
          for (size_t c = 0; c < p.hidden; c += d) {
            double mean = 0;
            for (size_t j = 0; j < p.seq; ++j) mean += in.v[j * p.hidden + c];
            mean /= p.seq;
            CHECK(got[(p.seq - 1) * p.hidden + c] == doctest::Approx(mean).epsilon(1e-5));
          }
        }
      }
    }
  }
}

TEST_CASE("attention: -inf fill, fused QKV rows, task splits, validation") {
  std::mt19937 rng(7);
  qc::AttentionParams p;
  p.batch = 3;
  p.seq = 9;
  p.num_heads = 3;
  p.hidden = 12;
  p.scale = 0.5f;
  const size_t n = p.batch * p.seq * p.hidden;
  Inputs in(n, 99);
  const std::vector<int64_t> mask = MakeMask(MaskKind::kRowAllMasked, p.batch, p.seq, rng);

  // -inf: partly masked rows equal the float-min result; a fully masked sequence is NaN, as torch.softmax.
  std::vector<float> with_min(n), with_inf(n);
  p.mask_fill = kFloatMin;
  REQUIRE(qc::MultiHeadAttention(p, in.q.data(), in.k.data(), in.v.data(), qc::TokenMask::Int64(mask.data()),
                                 with_min.data(), nullptr)
              .ok());
  p.mask_fill = -std::numeric_limits<float>::infinity();
  REQUIRE(qc::MultiHeadAttention(p, in.q.data(), in.k.data(), in.v.data(), qc::TokenMask::Int64(mask.data()),
                                 with_inf.data(), nullptr)
              .ok());
  const size_t seq0 = p.seq * p.hidden;  // sequence 0 is the fully masked one
  for (size_t i = 0; i < seq0; ++i) CHECK(std::isnan(with_inf[i]));
  for (size_t i = seq0; i < n; ++i) CHECK(with_inf[i] == doctest::Approx(with_min[i]).epsilon(1e-6));
  p.mask_fill = kFloatMin;

  // q, k, v as column ranges of one fused [B, S, 3H] buffer (a fused QKV projection's output).
  GuardBuffer<float> fused(p.batch * p.seq * 3 * p.hidden);
  for (size_t t = 0; t < p.batch * p.seq; ++t) {
    for (size_t c = 0; c < p.hidden; ++c) {
      fused[t * 3 * p.hidden + c] = in.q[t * p.hidden + c];
      fused[t * 3 * p.hidden + p.hidden + c] = in.k[t * p.hidden + c];
      fused[t * 3 * p.hidden + 2 * p.hidden + c] = in.v[t * p.hidden + c];
    }
  }
  qc::AttentionParams pf = p;
  pf.qkv_stride = 3 * p.hidden;
  std::vector<float> from_fused(n);
  REQUIRE(qc::MultiHeadAttention(pf, fused.data(), fused.data() + p.hidden, fused.data() + 2 * p.hidden,
                                 qc::TokenMask::Int64(mask.data()), from_fused.data(), nullptr)
              .ok());
  CHECK(from_fused == with_min);

  // Any split into task ranges, each with its own scratch, gives the same bits.
  CHECK(qc::AttentionTaskCount(p) == 9);
  std::vector<float> split(n, -7.0f), scratch(qc::AttentionScratchFloats(p));
  for (auto [b0, b1] : std::vector<std::pair<size_t, size_t>>{{0, 2}, {2, 3}, {3, 8}, {8, 9}}) {
    qc::MultiHeadAttentionTasks(p, in.q.data(), in.k.data(), in.v.data(), qc::TokenMask::Int64(mask.data()),
                                split.data(), scratch.data(), b0, b1);
  }
  CHECK(split == with_min);

  qc::AttentionParams bad = p;
  bad.num_heads = 5;
  qc::Status st = qc::MultiHeadAttention(bad, in.q.data(), in.k.data(), in.v.data(), {}, split.data(), nullptr);
  CHECK(st.code() == qc::StatusCode::kInvalidArgument);
  CHECK(st.message().find("5 heads") != std::string::npos);
  bad = p;
  bad.num_heads = 0;
  CHECK_FALSE(qc::ValidateAttention(bad).ok());
  bad = p;
  bad.qkv_stride = 11;
  CHECK(qc::ValidateAttention(bad).code() == qc::StatusCode::kInvalidArgument);
  CHECK(qc::AttentionScratchFloats(p) == 9 * 9 + 9 * 4 + 9);
}
