// Fake quantizers (qat/fake_quant.h) against the runtime's own quantization code and the qops.md formulas, their
// straight-through gradients, the QAttention simulation against a scalar implementation of the contract, and the
// recipe's annotations.
// clang-format off
#include <torch/torch.h>  // before doctest: c10 defines CHECK
#include <doctest/doctest.h>
// clang-format on

#include <cmath>
#include <map>
#include <vector>

#include "passes/lower_quantized.h"
#include "qat/fake_quant.h"
#include "quant/act_quant.h"
#include "quant/rounding.h"
#include "quant/twn.h"
#include "tests/support/qsoftmax_sim.h"
#include "tests/qat/qat_test_util.h"
#include "tests/qat/synthetic_encoder.h"

namespace {

bool SameValues(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && torch::equal(a.detach(), b.detach());
}

}  // namespace

using qc::qat::test::Values;

TEST_CASE("TWN fake quantizer: codes and alpha of the runtime's TernarizeTwn, clipped STE") {
  torch::manual_seed(1);
  for (bool per_row : {false, true}) {
    torch::Tensor w = (torch::randn({7, 33}) * 0.8).requires_grad_(true);
    {
      torch::NoGradGuard g;
      w[0][0] = 3.0f;  // beyond the 2.5 clip: clamped in the forward, no gradient
      w[1][1] = -2.5f;
    }
    const torch::Tensor q = qc::qat::FakeQuantTwn(w, per_row, 2.5f);
    std::vector<float> wv = Values(w);
    std::vector<uint8_t> codes(wv.size());
    std::vector<float> alpha(per_row ? 7 : 1);
    qc::TwnParams p;
    p.granularity = per_row ? qc::TwnGranularity::kPerRow : qc::TwnGranularity::kPerTensor;
    p.clip = 2.5f;
    REQUIRE(qc::TernarizeTwn(wv.data(), 7, 33, 33, p, codes.data(), 33, alpha.data()).ok());
    const std::vector<float> qv = Values(q);
    bool same = true;
    for (size_t i = 0; i < qv.size(); ++i) same = same && qv[i] == qc::TwnDequantize(codes[i], alpha[per_row ? i / 33 : 0]);
    CHECK(same);
    CHECK(alpha[0] > 0.0f);
    // Values are in {-alpha, 0, alpha} per group.
    CHECK(std::get<0>(torch::_unique(q.detach().abs().flatten())).numel() <= (per_row ? 8 : 2));
    (q * torch::arange(231, torch::kFloat).reshape({7, 33})).sum().backward();
    const torch::Tensor g = w.grad();
    CHECK(g[0][0].item<float>() == 0.0f);  // |w| >= clip
    CHECK(g[1][1].item<float>() == 0.0f);
    CHECK(g[2][3].item<float>() == 2 * 33 + 3);  // identity inside
  }
}

TEST_CASE("int8 / int4 weight fake quantizers follow qops.md: d = fl(amax/q), q = RNE(w*fl(q/amax))") {
  const torch::Tensor w = torch::tensor({{0.5f, -1.0f, 0.25f, 0.0f}, {0.0f, 0.0f, 0.0f, 0.0f}}).requires_grad_(true);
  const torch::Tensor q8 = qc::qat::FakeQuantIntWeight(w, 8, true);
  const float s = 127.0f / 1.0f, d = 1.0f / 127.0f;
  CHECK(q8[0][0].item<float>() == std::nearbyint(0.5f * s) * d);  // 63.5 -> 64 (ties to even)
  CHECK(q8[0][0].item<float>() == 64.0f * d);
  CHECK(q8[0][2].item<float>() == 32.0f * d);  // 31.75 -> 32
  CHECK(q8[1].abs().sum().item<float>() == 0.0f);  // all-zero row: codes 0, d 0
  const torch::Tensor q4 = qc::qat::FakeQuantIntWeight(w, 4, false);
  const float s4 = 7.0f / 1.0f, d4 = 1.0f / 7.0f;
  CHECK(q4[0][0].item<float>() == std::nearbyint(0.5f * s4) * d4);  // 3.5 -> 4
  CHECK(q4[0][0].item<float>() == 4.0f * d4);
  q8.sum().backward();
  CHECK(SameValues(w.grad(), torch::ones_like(w)));  // identity STE
}

TEST_CASE("int8 activations: per-token and per-tensor codes equal the runtime's QuantizeActivations; x̂ = q·d") {
  torch::manual_seed(2);
  const int64_t m = 6, k = 40;
  torch::Tensor x = (torch::randn({2, 3, k}) * 2).requires_grad_(true);
  for (auto g : {qc::qat::ActGranularity::kPerToken, qc::qat::ActGranularity::kPerTensor}) {
    const torch::Tensor y = qc::qat::FakeQuantActivation(x, g, 2.5f);
    const std::vector<float> xv = Values(x);
    std::vector<int8_t> q(static_cast<size_t>(m * k));
    std::vector<float> scale(m), dequant(m);
    std::vector<int32_t> sums(m);
    qc::ActQuantParams p;
    p.granularity = g == qc::qat::ActGranularity::kPerToken ? qc::ActGranularity::kPerToken
                                                            : qc::ActGranularity::kPerTensor;
    p.clip = 2.5f;
    REQUIRE(qc::QuantizeActivations(xv.data(), m, k, k, p,
                                    {q.data(), static_cast<size_t>(k), static_cast<size_t>(k), scale.data(),
                                     dequant.data(), sums.data()})
                .ok());
    const std::vector<float> yv = Values(y);
    bool same = true;
    for (int64_t i = 0; i < m * k; ++i) same = same && yv[static_cast<size_t>(i)] == q[static_cast<size_t>(i)] * dequant[static_cast<size_t>(i / k)];
    CHECK(same);
  }
  // Gradient passes inside the clip, zero outside.
  torch::Tensor z = torch::tensor({-3.0f, -1.0f, 0.5f, 2.5f, 2.0f}).requires_grad_(true);
  qc::qat::FakeQuantActivation(z, qc::qat::ActGranularity::kPerToken, 2.5f).sum().backward();
  CHECK(SameValues(z.grad(), torch::tensor({0.0f, 1.0f, 1.0f, 0.0f, 1.0f})));
}

namespace {

// The QAttention contract (qops.md) for one (b, h) slice, in plain float C++.
std::vector<float> ReferenceQAttention(const std::vector<float>& q, const std::vector<float>& k,
                                       const std::vector<float>& v, int sq, int sk, int d, float scale, float clip,
                                       const std::vector<float>& mask_term) {
  auto quant_rows = [&](const std::vector<float>& x, int rows, float c, std::vector<int>& codes,
                        std::vector<float>& dq) {
    codes.assign(static_cast<size_t>(rows * d), 0);
    dq.assign(static_cast<size_t>(rows), 0.0f);
    for (int r = 0; r < rows; ++r) {
      float amax = 0.0f;
      for (int c2 = 0; c2 < d; ++c2) amax = std::max(amax, std::fabs(std::min(std::max(x[r * d + c2], -c), c)));
      const qc::ActScale s = qc::ActScaleFromAbsMax(amax);
      dq[static_cast<size_t>(r)] = s.dequant;
      for (int c2 = 0; c2 < d; ++c2) {
        const float xc = std::min(std::max(x[r * d + c2], -c), c);
        codes[static_cast<size_t>(r * d + c2)] = std::min(127, std::max(-127, qc::RoundHalfEven(xc * s.scale)));
      }
    }
  };
  std::vector<int> qc_, kc, vc;
  std::vector<float> dq, dk, dv;
  quant_rows(q, sq, clip, qc_, dq);
  quant_rows(k, sk, clip, kc, dk);
  quant_rows(v, sk, clip, vc, dv);
  std::vector<float> out(static_cast<size_t>(sq * d));
  for (int i = 0; i < sq; ++i) {
    std::vector<float> score(static_cast<size_t>(sk)), pp(static_cast<size_t>(sk));
    for (int j = 0; j < sk; ++j) {
      int32_t s_int = 0;
      for (int c2 = 0; c2 < d; ++c2) s_int += qc_[static_cast<size_t>(i * d + c2)] * kc[static_cast<size_t>(j * d + c2)];
      const float dqdk = dq[static_cast<size_t>(i)] * dk[static_cast<size_t>(j)];
      score[static_cast<size_t>(j)] = (static_cast<float>(s_int) * dqdk) * scale + mask_term[static_cast<size_t>(j)];
    }
    float mx = score[0];
    for (float s : score) mx = std::max(mx, s);
    // docs/quantization.md §7.4 step 3: the documented exp and the 16-lane sum order (written out independently).
    for (int j = 0; j < sk; ++j) pp[static_cast<size_t>(j)] = qc::test::SimQcExp(score[static_cast<size_t>(j)] - mx);
    const float sum = qc::test::SimLaneSum(pp);
    float amax = 0.0f;
    for (int j = 0; j < sk; ++j) {
      pp[static_cast<size_t>(j)] = (pp[static_cast<size_t>(j)] / sum) * dv[static_cast<size_t>(j)];
      amax = std::max(amax, std::fabs(pp[static_cast<size_t>(j)]));
    }
    const qc::ActScale s = qc::ActScaleFromAbsMax(amax);
    for (int c2 = 0; c2 < d; ++c2) {
      int32_t o = 0;
      for (int j = 0; j < sk; ++j) {
        o += std::min(127, std::max(-127, qc::RoundHalfEven(pp[static_cast<size_t>(j)] * s.scale))) *
             vc[static_cast<size_t>(j * d + c2)];
      }
      out[static_cast<size_t>(i * d + c2)] = static_cast<float>(o) * s.dequant;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("QAttention simulation: equals the qops.md contract computed in scalar C++; gradients reach q, k, v") {
  torch::manual_seed(5);
  const int sq = 5, sk = 7, d = 8;
  const torch::Tensor q = (torch::randn({1, 1, sq, d}) * 1.5).requires_grad_(true);
  const torch::Tensor k = (torch::randn({1, 1, sk, d}) * 1.5).requires_grad_(true);
  const torch::Tensor v = (torch::randn({1, 1, sk, d}) * 1.5).requires_grad_(true);
  std::vector<float> mask_term(sk, 0.0f);
  mask_term[6] = -10000.0f;
  const torch::Tensor fill = torch::tensor(mask_term).reshape({1, 1, 1, sk});
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const qc::qat::QuantAttentionResult r = qc::qat::QuantizedAttentionCore(q, k, v, fill, scale, 2.5f, nullptr);
  const std::vector<float> expect = ReferenceQAttention(Values(q), Values(k), Values(v), sq, sk, d, scale, 2.5f,
                                                        mask_term);
  const std::vector<float> got = Values(r.context);
  // Codes, integer products and the softmax contract (exp, lane sums) are the same, so every output is bit-identical.
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(static_cast<double>(got[i]) - expect[i]));
  CHECK(worst < 2e-2);
  size_t exact = 0;
  for (size_t i = 0; i < got.size(); ++i) exact += got[i] == expect[i];
  CHECK(exact == got.size());
  r.context.sum().backward();
  CHECK(q.grad().abs().sum().item<float>() > 0);
  CHECK(k.grad().abs().sum().item<float>() > 0);
  CHECK(v.grad().abs().sum().item<float>() > 0);
}

TEST_CASE("recipe: transforms on the encoder, classifier float, annotations for lower_quantized") {
  qc::qat::test::SyntheticEncoderSpec spec;
  qc::ir::Graph g = qc::qat::test::BuildSyntheticEncoder(spec).value();
  auto model = qc::qat::TorchModel::Build(g);
  REQUIRE(model.ok());
  qc::qat::QuantRecipe recipe;
  auto n = qc::qat::ApplyQuantRecipe(**model, recipe);
  REQUIRE(n.ok());
  CHECK(*n == 2 * 6 + 1 + 1);  // 12 layer Linears, pooler, word embedding
  CHECK((*model)->attention_quantized());
  torch::Tensor ids = torch::randint(0, 100, {2, 6}, torch::kLong);
  auto r = (*model)->Forward({{"input_ids", ids}, {"attention_mask", torch::ones({2, 6}, torch::kLong)}});
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(qc::qat::AnnotateQuantization(**model, recipe, g).ok());
  int linears = 0, embeddings = 0, attentions = 0, float_nodes = 0;
  for (const qc::ir::Node& node : g.nodes()) {
    if (!node.quant) {
      float_nodes += node.op == qc::ir::OpType::kLinear;
      continue;
    }
    if (node.op == qc::ir::OpType::kLinear) {
      ++linears;
      CHECK(qc::ir::ToString(*node.quant) == "w=t2/per_tensor a=i8/dynamic_per_token/clip=2.5");
    }
    if (node.op == qc::ir::OpType::kEmbedding) {
      ++embeddings;
      CHECK(node.quant->weight->granularity == qc::ir::WeightGranularity::kPerRow);
    }
    attentions += node.op == qc::ir::OpType::kAttention;
  }
  CHECK(linears == 13);
  CHECK(embeddings == 1);
  CHECK(attentions == 2);
  CHECK(float_nodes == 1);  // the classifier
  // The annotations are what passes/lower_quantized turns into the quantized ops.
  qc::passes::PassContext context;
  auto lowered = qc::passes::MakeLowerQuantizedPass()->Run(g, context);
  REQUIRE_MESSAGE(lowered.ok(), lowered.status().ToString());
  std::map<qc::ir::OpType, int> ops;
  for (const qc::ir::Node& node : g.nodes()) {
    if (!node.erased) ++ops[node.op];
  }
  CHECK(ops[qc::ir::OpType::kQLinear] == 13);
  CHECK(ops[qc::ir::OpType::kQEmbedding] == 1);
  CHECK(ops[qc::ir::OpType::kQAttention] == 2);
  CHECK(ops[qc::ir::OpType::kLinear] == 1);
}

TEST_CASE("QLinearSim: same gradients as the float-sum fake quantizers, forward equal within float rounding") {
  torch::manual_seed(9);
  for (auto bits : {qc::ir::WeightBits::kTernary, qc::ir::WeightBits::kInt8, qc::ir::WeightBits::kInt4}) {
    const torch::Tensor x0 = torch::randn({2, 5, 24}) * 1.5, w0 = torch::randn({7, 24}) * 0.3, b = torch::randn({7});
    torch::Tensor x1 = x0.clone().requires_grad_(true), w1 = w0.clone().requires_grad_(true);
    torch::Tensor x2 = x0.clone().requires_grad_(true), w2 = w0.clone().requires_grad_(true);
    const torch::Tensor sim =
        qc::qat::QLinearSim(x1, w1, b, bits, true, 2.5f, qc::qat::ActGranularity::kPerToken, 2.5f);
    const torch::Tensor w_hat = bits == qc::ir::WeightBits::kTernary
                                    ? qc::qat::FakeQuantTwn(w2, true, 2.5f)
                                    : qc::qat::FakeQuantIntWeight(w2, bits == qc::ir::WeightBits::kInt8 ? 8 : 4, true);
    const torch::Tensor ref =
        at::linear(qc::qat::FakeQuantActivation(x2, qc::qat::ActGranularity::kPerToken, 2.5f), w_hat, b);
    CHECK((sim - ref).abs().max().item<float>() < 1e-5f);
    const torch::Tensor g = torch::randn({2, 5, 7});
    (sim * g).sum().backward();
    (ref * g).sum().backward();
    CHECK(torch::equal(x1.grad(), x2.grad()));
    CHECK(torch::equal(w1.grad(), w2.grad()));
  }
}

TEST_CASE("TwnCacheScope: codes computed once per scope, equal to uncached ones, forgotten when it closes") {
  torch::manual_seed(9);
  torch::Tensor w = torch::randn({6, 40});
  const torch::Tensor plain = qc::qat::FakeQuantTwn(w, true).detach().clone();
  {
    qc::qat::TwnCacheScope scope;
    const torch::Tensor first = qc::qat::FakeQuantTwn(w, true).detach().clone();
    CHECK(torch::equal(first, plain));
    // Per-tensor TWN of the same weight is another entry, not the per-row one.
    CHECK(torch::equal(qc::qat::FakeQuantTwn(w, false).detach(), [&] {
      return qc::qat::FakeQuantTwn(w.clone(), false).detach();
    }()));
    CHECK(torch::equal(qc::qat::FakeQuantTwn(w, true).detach(), first));
  }
  // A new scope sees the weight as it is now.
  {
    torch::NoGradGuard no_grad;
    w.mul_(-1.0);
  }
  qc::qat::TwnCacheScope scope;
  CHECK(torch::equal(qc::qat::FakeQuantTwn(w, true).detach(), -plain));
}
