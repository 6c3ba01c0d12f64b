// QAttention (ops/qattention.h) against the independent scalar simulation of docs/quantization.md "QAttention"
// (qattention_sim.h): the op's Q, K, V and P codes, S_int and O_int (read through QAttentionProbe) must be identical
// to the simulation's, and its float output bit-identical (both follow the same float order, one rounding per
// operation; NaN rows must be NaN in both). Sequence lengths sweep the kernels' 32-column block and tile edges,
// head widths include 80 (padded to 96); masks are absent, partial and full, with fill = float lowest, -10000 and
// -inf; clip none and 2.5; q, k, v separate or views into one fused [B, S, 3H] buffer. Buffers end against a guard
// page. Also: errors (NaN / inf inputs, NaN mask, bad shapes) name the op and place, and any task split or a
// caller's scratch gives the same bits.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/qattention.h"
#include "tests/kernels_attention/qattention_sim.h"
#include "tests/support/guard_buffer.h"

namespace {

using qc::test::GuardBuffer;

enum class MaskKind { kNone, kPartial, kFullInBatch1 };

struct Case {
  size_t batch, seq, heads, dh;
  MaskKind mask;
  float fill;
  float clip;
  bool fused;
};

std::string Describe(const Case& c) {
  return "B=" + std::to_string(c.batch) + " S=" + std::to_string(c.seq) + " heads=" + std::to_string(c.heads) +
         " dh=" + std::to_string(c.dh) + " mask=" + std::to_string(static_cast<int>(c.mask)) +
         " fill=" + std::to_string(c.fill) + " clip=" + std::to_string(c.clip) + (c.fused ? " fused" : "");
}

bool SameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

struct Run {
  Case c;
  size_t hidden, tasks;
  GuardBuffer<float> qkv;  // fused: [B, S, 3H]; else three [B, S, H] blocks back to back
  GuardBuffer<float> mask;
  GuardBuffer<float> out;
  const float *q, *k, *v;
  size_t stride;
  std::vector<float> mask_values;  // the simulation's copy (empty = none)

  Run(const Case& c_, unsigned seed)
      : c(c_),
        hidden(c_.heads * c_.dh),
        tasks(c_.batch * c_.heads),
        qkv(c_.batch * c_.seq * 3 * hidden),
        mask(c_.batch * c_.seq),
        out(c_.batch * c_.seq * hidden) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (size_t i = 0; i < qkv.size(); ++i) qkv[i] = dist(rng) * (rng() % 40 == 0 ? 5.0f : 1.0f);
    const size_t block = c.batch * c.seq * hidden;
    stride = c.fused ? 3 * hidden : hidden;
    q = qkv.data();
    k = c.fused ? qkv.data() + hidden : qkv.data() + block;
    v = c.fused ? qkv.data() + 2 * hidden : qkv.data() + 2 * block;
    if (c.mask != MaskKind::kNone) {
      for (size_t b = 0; b < c.batch; ++b) {
        const size_t keep = c.mask == MaskKind::kFullInBatch1 && b == 1 ? 0 : c.seq - (b * 3) % c.seq;
        for (size_t j = 0; j < c.seq; ++j) mask[b * c.seq + j] = j < keep ? 1.0f : 0.0f;
      }
      mask_values.assign(mask.data(), mask.data() + mask.size());
    }
  }

  qc::QAttentionParams Params() const {
    qc::QAttentionParams p;
    p.batch = c.batch;
    p.seq = c.seq;
    p.hidden = hidden;
    p.num_heads = c.heads;
    p.q_stride = p.k_stride = p.v_stride = c.fused ? stride : 0;
    p.scale = 1.0f / std::sqrt(static_cast<float>(c.dh));
    p.mask_fill = c.fill;
    p.act_clip = c.clip;
    return p;
  }

  qc::TokenMask Mask() const {
    return c.mask == MaskKind::kNone ? qc::TokenMask::None() : qc::TokenMask::Float(mask.data());
  }

  qc::test::SimResult Simulate() const {
    const qc::QAttentionParams p = Params();
    qc::test::SimAttention s;
    s.batch = p.batch;
    s.seq = p.seq;
    s.hidden = p.hidden;
    s.heads = p.num_heads;
    s.q_stride = s.k_stride = s.v_stride = p.q_stride;
    s.scale = p.scale;
    s.mask_fill = p.mask_fill;
    s.act_clip = p.act_clip;
    return qc::test::SimulateQAttention(s, q, k, v, mask_values);
  }
};

void CheckAgainstSimulation(const Case& c, unsigned seed) {
  INFO(Describe(c));
  Run run(c, seed);
  const qc::QAttentionParams p = run.Params();
  const size_t s = c.seq, dh = c.dh;
  std::vector<int8_t> qc_(run.tasks * s * dh), kc(run.tasks * s * dh), vc(run.tasks * s * dh), pc(run.tasks * s * s);
  std::vector<int32_t> si(run.tasks * s * s), oi(run.tasks * s * dh);
  qc::QAttentionProbe probe{qc_.data(), kc.data(), vc.data(), pc.data(), si.data(), oi.data()};
  REQUIRE(qc::ValidateQAttention(p).ok());
  std::vector<unsigned char> scratch(qc::QAttentionScratchBytes(p));
  const qc::Status st = qc::QAttentionTasks(p, run.q, run.k, run.v, run.Mask(), run.out.data(), scratch.data(), 0,
                                            qc::QAttentionTaskCount(p), &probe);
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  const qc::test::SimResult sim = run.Simulate();
  CHECK(qc_ == sim.q_codes);
  CHECK(kc == sim.k_codes);
  CHECK(vc == sim.v_codes);
  CHECK(si == sim.s_int);
  CHECK(pc == sim.p_codes);
  CHECK(oi == sim.o_int);
  size_t bad = 0, nans = 0;
  for (size_t i = 0; i < run.out.size(); ++i) {
    bad += !SameFloat(run.out[i], sim.out[i]);
    nans += std::isnan(run.out[i]);
  }
  CHECK(bad == 0);
  const bool nan_expected = c.mask == MaskKind::kFullInBatch1 && std::isinf(c.fill);
  CHECK((nans > 0) == nan_expected);
  if (nan_expected) CHECK(nans == s * run.hidden);  // exactly batch 1, every row
}

}  // namespace

TEST_CASE("QAttention equals the independent simulation: codes and float bits") {
  const float lowest = std::numeric_limits<float>::lowest();
  unsigned seed = 100;
  SUBCASE("sequence lengths around the blocks, head widths 16/32/64/80") {
    for (size_t s : {1, 2, 7, 16, 17, 33, 63, 64, 65, 129}) {
      for (size_t dh : {16, 32, 64, 80}) {
        CheckAgainstSimulation({2, s, 2, dh, MaskKind::kPartial, lowest, 0.0f, (s + dh) % 2 == 0}, seed++);
      }
    }
  }
  SUBCASE("masks, fills and clips") {
    for (MaskKind m : {MaskKind::kNone, MaskKind::kPartial, MaskKind::kFullInBatch1}) {
      for (float fill : {lowest, -10000.0f, -std::numeric_limits<float>::infinity()}) {
        for (float clip : {0.0f, 2.5f}) {
          CheckAgainstSimulation({3, 20, 3, 32, m, fill, clip, clip > 0.0f}, seed++);
        }
      }
    }
  }
  SUBCASE("BERT-base shape") {
    CheckAgainstSimulation({1, 128, 12, 64, MaskKind::kPartial, lowest, 0.0f, true}, seed++);
  }
}

TEST_CASE("QAttention: a fully masked row (fill = float lowest) attends uniformly, like the float op") {
  const Case c{2, 24, 2, 32, MaskKind::kFullInBatch1, std::numeric_limits<float>::lowest(), 0.0f, false};
  Run run(c, 7);
  const qc::QAttentionParams p = run.Params();
  std::vector<int8_t> vc(run.tasks * c.seq * c.dh), pc(run.tasks * c.seq * c.seq);
  qc::QAttentionProbe probe;
  probe.v_codes = vc.data();
  probe.p_codes = pc.data();
  std::vector<unsigned char> scratch(qc::QAttentionScratchBytes(p));
  REQUIRE(qc::QAttentionTasks(p, run.q, run.k, run.v, run.Mask(), run.out.data(), scratch.data(), 0,
                              qc::QAttentionTaskCount(p), &probe)
              .ok());
  // Batch 1: every score is fl(x + lowest) = lowest, so p = 1/S and out ≈ mean_j v[j] (within int8 rounding).
  for (size_t h = 0; h < c.heads; ++h) {
    for (size_t i = 0; i < c.seq; ++i) {
      for (size_t ch = 0; ch < c.dh; ++ch) {
        double mean = 0.0;
        for (size_t j = 0; j < c.seq; ++j) mean += run.v[(c.seq + j) * run.hidden + h * c.dh + ch];
        mean /= static_cast<double>(c.seq);
        const float got = run.out[(c.seq + i) * run.hidden + h * c.dh + ch];
        CHECK(std::fabs(got - mean) < 0.05);
      }
    }
  }
}

TEST_CASE("QAttention: task splits and caller scratch give identical bits") {
  const Case c{2, 37, 3, 32, MaskKind::kPartial, -10000.0f, 2.5f, true};
  Run run(c, 11);
  const qc::QAttentionParams p = run.Params();
  REQUIRE(qc::QAttentionForward(p, run.q, run.k, run.v, run.Mask(), run.out.data(), nullptr).ok());
  const std::vector<float> whole(run.out.data(), run.out.data() + run.out.size());
  std::memset(run.out.data(), 0, run.out.size() * sizeof(float));
  std::vector<unsigned char> s1(qc::QAttentionScratchBytes(p) + 3), s2(qc::QAttentionScratchBytes(p));
  // An unaligned caller scratch, and tasks in three uneven ranges with two scratches.
  REQUIRE(qc::QAttentionTasks(p, run.q, run.k, run.v, run.Mask(), run.out.data(), s1.data() + 3, 0, 1).ok());
  REQUIRE(qc::QAttentionTasks(p, run.q, run.k, run.v, run.Mask(), run.out.data(), s2.data(), 1, 5).ok());
  REQUIRE(qc::QAttentionTasks(p, run.q, run.k, run.v, run.Mask(), run.out.data(), s1.data() + 3, 5, 6).ok());
  CHECK(std::memcmp(whole.data(), run.out.data(), whole.size() * sizeof(float)) == 0);
}

TEST_CASE("QAttention: errors name the op, the tensor and the place") {
  const Case c{2, 5, 2, 16, MaskKind::kPartial, -10000.0f, 0.0f, false};
  Run run(c, 3);
  const qc::QAttentionParams good = run.Params();
  auto run_with = [&](const qc::QAttentionParams& p) {
    return qc::QAttentionForward(p, run.q, run.k, run.v, run.Mask(), run.out.data(), nullptr);
  };
  REQUIRE(run_with(good).ok());

  float* data = run.qkv.data();
  const size_t block = c.batch * c.seq * run.hidden;
  const size_t at = (1 * c.seq + 3) * run.hidden + 1 * c.dh + 4;  // batch 1, token 3, head 1
  SUBCASE("NaN in q") {
    data[at] = std::nanf("");
    const qc::Status st = run_with(good);
    CHECK(st.code() == qc::StatusCode::kInvalidArgument);
    CHECK(st.message().find("QAttention: q[batch 1, token 3, head 1] holds NaN") != std::string::npos);
  }
  SUBCASE("inf in k: an error without a clip, clamped with one") {
    data[block + at] = std::numeric_limits<float>::infinity();
    const qc::Status st = run_with(good);
    CHECK(st.message().find("QAttention: k[batch 1, token 3, head 1] holds an infinity") != std::string::npos);
    qc::QAttentionParams clipped = good;
    clipped.act_clip = 2.5f;
    CHECK(run_with(clipped).ok());
  }
  SUBCASE("NaN in v") {
    data[2 * block + at] = std::nanf("");
    CHECK(run_with(good).message().find("QAttention: v[batch 1, token 3, head 1] holds NaN") != std::string::npos);
  }
  SUBCASE("NaN in the mask") {
    run.mask[c.seq + 2] = std::nanf("");
    CHECK(run_with(good).message().find("QAttention: mask[batch 1, token 2] is NaN") != std::string::npos);
  }
  SUBCASE("bad parameters") {
    qc::QAttentionParams p = good;
    p.num_heads = 3;  // 32 % 3 != 0
    CHECK(run_with(p).message().find("QAttention: hidden size 32") != std::string::npos);
    p = good;
    p.num_heads = 0;
    CHECK(!run_with(p).ok());
    p = good;
    p.k_stride = good.hidden - 1;
    CHECK(run_with(p).message().find("QAttention: k row stride") != std::string::npos);
    p = good;
    p.act_clip = -1.0f;
    CHECK(run_with(p).message().find("QAttention: act_clip") != std::string::npos);
    p.act_clip = std::nanf("");
    CHECK(!run_with(p).ok());
    p = good;
    p.seq = 0;
    CHECK(run_with(p).message().find("QAttention: sequence length 0") != std::string::npos);
    p.seq = 65537;
    CHECK(!qc::ValidateQAttention(p).ok());
    p.batch = 0;
    p.seq = 0;
    CHECK(run_with(p).ok());  // nothing to do
  }
}
