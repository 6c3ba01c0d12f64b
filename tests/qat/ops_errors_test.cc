// The ops the fixtures do not exercise (Sub, Mul, Relu, Softmax on another axis, tanh-Gelu, MeanPool with and
// without a mask, L2Normalize, SelectToken index 1) against loops written from docs/ir.md, and the run-time errors.
#include "tests/qat/qat_test_util.h"
// clang-format off
#include <doctest/doctest.h>
// clang-format on

#include <cmath>
#include <memory>
#include <string>

#include "ir/builder.h"
#include "qat/torch_model.h"
#include "tests/qat/synthetic_encoder.h"

namespace {

using qc::ir::AttrName;
using qc::ir::OpType;
using qc::qat::test::MaxAbsDiff;

qc::ir::ValueId Op(qc::ir::GraphBuilder& b, OpType op, const std::string& name, std::vector<qc::ir::ValueId> in,
                   qc::ir::Attributes attrs = {}) {
  auto v = b.AddOp(op, name, std::move(in), std::move(attrs));
  REQUIRE_MESSAGE(v.ok(), v.status().ToString());
  return *v;
}

double Gelu(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

}  // namespace

TEST_CASE("elementwise, pooling and normalisation ops follow docs/ir.md") {
  constexpr int64_t B = 2, S = 3, E = 4;
  qc::ir::GraphBuilder b;
  const qc::ir::ValueId x = *b.AddInput("x", qc::ir::DType::kF32, {"batch", "sequence", E});
  const qc::ir::ValueId mask = *b.AddInput("mask", qc::ir::DType::kI64, {"batch", "sequence"});
  const qc::ir::ValueId c = *b.AddConstant("c", *qc::ir::Tensor::FromVector<float>({E}, {0.5f, -1.0f, 0.0f, 2.0f}));
  const auto sub = Op(b, OpType::kSub, "sub", {x, c});
  const auto mul = Op(b, OpType::kMul, "mul", {sub, x});
  const auto relu = Op(b, OpType::kRelu, "relu", {mul});
  const auto softmax = Op(b, OpType::kSoftmax, "softmax", {relu}, {{AttrName::kAxis, int64_t{1}}});
  const auto gelu = Op(b, OpType::kGelu, "gelu", {softmax}, {{AttrName::kApproximate, int64_t{1}}});
  const auto mean = Op(b, OpType::kMeanPool, "mean", {gelu, mask});
  const auto mean_all = Op(b, OpType::kMeanPool, "mean_all", {x});
  const auto l2 = Op(b, OpType::kL2Normalize, "l2", {mean});
  const auto second = Op(b, OpType::kSelectToken, "second", {x}, {{AttrName::kIndex, int64_t{1}}});
  const auto tanh = Op(b, OpType::kTanh, "tanh", {second});
  for (auto [v, name] : {std::pair{mean, "mean"}, {mean_all, "mean_all"}, {l2, "l2"}, {tanh, "tanh"}}) {
    REQUIRE(b.MarkOutput(v, name).ok());
  }
  auto g = std::move(b).Build();
  REQUIRE_MESSAGE(g.ok(), g.status().ToString());
  auto model = qc::qat::TorchModel::Build(*g);
  REQUIRE_MESSAGE(model.ok(), model.status().ToString());
  CHECK((*model)->parameters().empty());  // 'c' feeds a Sub: a buffer, not a parameter
  CHECK((*model)->num_layers() == 0);

  torch::manual_seed(11);
  const torch::Tensor xt = torch::randn({B, S, E});
  const torch::Tensor mt = torch::tensor({1, 1, 0, 1, 0, 1}, torch::kLong).reshape({B, S});
  auto r = (*model)->Forward({{"x", xt}, {"mask", mt}});
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());

  auto X = xt.accessor<float, 3>();
  auto M = mt.accessor<int64_t, 2>();
  const float cv[E] = {0.5f, -1.0f, 0.0f, 2.0f};
  double relu_v[B][S][E], gelu_v[B][S][E];
  for (int64_t i = 0; i < B; ++i)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t e = 0; e < E; ++e) relu_v[i][s][e] = std::max(0.0, double(X[i][s][e] - cv[e]) * X[i][s][e]);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t e = 0; e < E; ++e) {
      double mx = -1e300, sum = 0;
      for (int64_t s = 0; s < S; ++s) mx = std::max(mx, relu_v[i][s][e]);
      for (int64_t s = 0; s < S; ++s) sum += std::exp(relu_v[i][s][e] - mx);
      for (int64_t s = 0; s < S; ++s) gelu_v[i][s][e] = Gelu(std::exp(relu_v[i][s][e] - mx) / sum);
    }
  torch::Tensor want_mean = torch::zeros({B, E}, torch::kDouble), want_all = torch::zeros({B, E}, torch::kDouble);
  torch::Tensor want_l2 = torch::zeros({B, E}, torch::kDouble), want_tanh = torch::zeros({B, E}, torch::kDouble);
  for (int64_t i = 0; i < B; ++i) {
    double count = 0, norm = 0;
    for (int64_t s = 0; s < S; ++s) count += double(M[i][s]);
    for (int64_t e = 0; e < E; ++e) {
      double masked = 0, all = 0;
      for (int64_t s = 0; s < S; ++s) {
        masked += double(M[i][s]) * gelu_v[i][s][e];
        all += X[i][s][e];
      }
      want_mean[i][e] = masked / std::max(count, 1e-9);
      want_all[i][e] = all / S;
      want_tanh[i][e] = std::tanh(double(X[i][1][e]));
      norm += std::pow(masked / std::max(count, 1e-9), 2);
    }
    for (int64_t e = 0; e < E; ++e) want_l2[i][e] = want_mean[i][e].item<double>() / std::max(std::sqrt(norm), 1e-12);
  }
  CHECK(MaxAbsDiff(r->Output("mean"), want_mean) <= 1e-6);
  CHECK(MaxAbsDiff(r->Output("mean_all"), want_all) <= 1e-6);
  CHECK(MaxAbsDiff(r->Output("l2"), want_l2) <= 1e-6);
  CHECK(MaxAbsDiff(r->Output("tanh"), want_tanh) <= 1e-6);
  CHECK_FALSE(r->Output("missing").defined());
}

TEST_CASE("run-time errors name the node or input") {
  qc::qat::test::SyntheticEncoderSpec spec;
  auto g = qc::qat::test::BuildSyntheticEncoder(spec);
  REQUIRE(g.ok());
  auto built = qc::qat::TorchModel::Build(*g);
  REQUIRE(built.ok());
  const qc::qat::TorchModel& m = **built;
  const torch::Tensor ids = torch::zeros({2, 8}, torch::kLong);
  const torch::Tensor mask = torch::ones({2, 8}, torch::kLong);
  auto message = [&](const std::map<std::string, torch::Tensor>& inputs) {
    auto r = m.Forward(inputs);
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK(message({{"input_ids", ids.fill_(0).index_put_({1, 3}, 100)}, {"attention_mask", mask}}) ==
        "node 'embeddings.word_embeddings' (Embedding): id 100 is outside [0, 100)");
  CHECK(message({{"input_ids", torch::zeros({2, 65}, torch::kLong)},
                 {"attention_mask", torch::ones({2, 65}, torch::kLong)}})
            .find("node 'embeddings.position_embeddings' (AddPositionEmbedding): positions 0..64 exceed the 64-row "
                  "position table") != std::string::npos);
  CHECK(message({{"input_ids", torch::zeros({2, 8}, torch::kInt)}, {"attention_mask", mask}}) ==
        "forward: input 'input_ids' is Int, the graph expects i64");
  CHECK(message({{"input_ids", torch::zeros({2, 8}, torch::kLong)},
                 {"attention_mask", torch::ones({3, 8}, torch::kLong)}}) ==
        "forward: input 'attention_mask': dimension 'batch' is 3, but input 'input_ids' gave it 2");
  CHECK(message({{"input_ids", torch::zeros({2, 8, 1}, torch::kLong)}, {"attention_mask", mask}}) ==
        "forward: input 'input_ids' has shape [2, 8, 1], the graph expects [batch, sequence]");
  CHECK(message({{"input_ids", torch::zeros({2, 8}, torch::kLong)}}) ==
        "forward: input 'attention_mask' is missing; the graph takes input_ids, attention_mask");
  CHECK(message({{"input_ids", torch::zeros({2, 8}, torch::kLong)}, {"attention_mask", mask}, {"pixels", mask}}) ==
        "forward: unknown input 'pixels'; the graph takes input_ids, attention_mask");
  qc::qat::ForwardOptions options;
  options.taps = 1u << 20;
  auto r = m.Forward({{"input_ids", torch::zeros({2, 8}, torch::kLong)}, {"attention_mask", mask}}, options);
  CHECK(r.status().code() == qc::StatusCode::kInvalidArgument);
}

TEST_CASE("unrecognised layers: Build fails by default; with require_encoder_layers = false only taps fail") {
  qc::ir::GraphBuilder b;
  const qc::ir::ValueId x = *b.AddInput("x", qc::ir::DType::kF32, {"batch", "sequence", 4});
  const qc::ir::ValueId w =
      *b.AddConstant("w", *qc::ir::Tensor::FromVector<float>({4, 4}, std::vector<float>(16, 0.1f)));
  const auto k = Op(b, OpType::kLinear, "k", {x, w});
  const auto a =
      Op(b, OpType::kAttention, "attn", {x, k, k}, {{AttrName::kNumHeads, int64_t{2}}, {AttrName::kScale, 0.5}});
  REQUIRE(b.MarkOutput(a, "y").ok());
  auto g = std::move(b).Build();
  REQUIRE(g.ok());
  auto strict = qc::qat::TorchModel::Build(*g);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.status().message().find("encoder layer 0 (node 'attn' (Attention))") != std::string::npos);

  qc::qat::TorchModelOptions lenient;
  lenient.require_encoder_layers = false;
  auto model = qc::qat::TorchModel::Build(*g, lenient);
  REQUIRE_MESSAGE(model.ok(), model.status().ToString());
  const torch::Tensor xt = torch::randn({2, 3, 4});
  auto r = (*model)->Forward({{"x", xt}});
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->outputs[0].sizes() == torch::IntArrayRef({2, 3, 4}));
  qc::qat::ForwardOptions options;
  options.taps = qc::qat::kTapProbs;
  auto tapped = (*model)->Forward({{"x", xt}}, options);
  REQUIRE_FALSE(tapped.ok());
  CHECK(tapped.status().message().find("forward: taps and interventions need the encoder layers: encoder layer 0") !=
        std::string::npos);
}
