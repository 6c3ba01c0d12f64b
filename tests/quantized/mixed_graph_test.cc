// A graph mixing float and quantized ops, and malformed quantized graphs that must be refused naming the op.
//   ids -> QEmbedding -> LayerNorm -> QLinear(gelu) -> Linear -> y, with every intermediate also a graph output so each
//   stage is checked on the runtime's own input to it: QEmbedding and QLinear bit-exactly against the contract
//   formulas (simulation in quant_sim.h), the float ops against float64 loops (LayerNorm within 1e-5 absolute on
//   O(1) values; Linear within 1e-5 · Σ|w·h| + |b|, a few float roundings per term).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "exporters/qm/qm_writer.h"
#include "ops/elementwise.h"
#include "quant_harness.h"
#include "quant_sim.h"

namespace qc::test {
namespace {

struct Mixed {
  int64_t vocab = 9, hidden = 40, ffn = 70;
  std::vector<int8_t> emb_codes;  // [vocab, hidden] in {-1, 0, 1}
  std::vector<float> emb_scale, gamma, beta, w2, b2, b1;
  TernaryWeights w1;
  ir::Graph graph;
};

Mixed MakeMixed() {
  Mixed m;
  const auto v = static_cast<size_t>(m.vocab), h = static_cast<size_t>(m.hidden), f = static_cast<size_t>(m.ffn);
  std::vector<float> raw = RandomFloats(v * h, -1.5f, 1.5f, 21);
  m.emb_codes.resize(v * h);
  std::vector<uint8_t> dense((v * h + 3) / 4, 0);
  for (size_t i = 0; i < v * h; ++i) {
    m.emb_codes[i] = static_cast<int8_t>(raw[i] > 0.5f ? 1 : raw[i] < -0.5f ? -1 : 0);
    dense[i / 4] |= static_cast<uint8_t>((m.emb_codes[i] + 1) << (2 * (i % 4)));
  }
  m.emb_scale = RandomFloats(v, 0.2f, 1.0f, 22);
  m.gamma = RandomFloats(h, 0.5f, 1.5f, 23);
  m.beta = RandomFloats(h, -0.2f, 0.2f, 24);
  m.w1 = MakeTernaryWeights(f, h, true, 25);
  m.b1 = RandomFloats(f, -0.3f, 0.3f, 26);
  m.w2 = RandomFloats(h * f, -0.2f, 0.2f, 27);
  m.b2 = RandomFloats(h, -0.1f, 0.1f, 28);

  ir::GraphBuilder b;
  const auto ids = Must(b.AddInput("ids", ir::DType::kI64, {"batch", "sequence"}));
  const auto table = Must(b.AddConstant("emb.table", Must(ir::Tensor::FromBytes(ir::DType::kT2, {m.vocab, m.hidden}, dense))));
  const auto scale = Must(b.AddConstant("emb.scale", Must(ir::Tensor::FromVector<float>({m.vocab}, m.emb_scale))));
  const auto x = Must(b.AddOp(ir::OpType::kQEmbedding, "emb", {ids, table, scale}, {}, "x"));
  const auto gamma = Must(b.AddConstant("ln.gamma", Must(ir::Tensor::FromVector<float>({m.hidden}, m.gamma))));
  const auto beta = Must(b.AddConstant("ln.beta", Must(ir::Tensor::FromVector<float>({m.hidden}, m.beta))));
  const auto ln = Must(b.AddOp(ir::OpType::kLayerNorm, "ln", {x, gamma, beta}, {{ir::AttrName::kEpsilon, 1e-12}}, "ln_out"));
  const auto hid = AddQLinear(b, "up", ln, m.w1, m.b1, QLinearAttrs(f, h, 1, 2.5, 0, 1));
  const auto w2 = Must(b.AddConstant("down.weight", Must(ir::Tensor::FromVector<float>({m.hidden, m.ffn}, m.w2))));
  const auto b2 = Must(b.AddConstant("down.bias", Must(ir::Tensor::FromVector<float>({m.hidden}, m.b2))));
  const auto y = Must(b.AddOp(ir::OpType::kLinear, "down", {hid, w2, b2}));
  REQUIRE(b.MarkOutput(x, "x").ok());
  REQUIRE(b.MarkOutput(ln, "ln_out").ok());
  REQUIRE(b.MarkOutput(hid, "h").ok());
  REQUIRE(b.MarkOutput(y, "y").ok());
  m.graph = Must(std::move(b).Build());
  return m;
}

}  // namespace

TEST_CASE("a graph mixing float and quantized ops runs and matches stage by stage") {
  const Mixed m = MakeMixed();
  const std::vector<int64_t> ids = {1, 8, 0, 4, 4, 2, 7, 5};  // [2, 4]
  const auto out = Must(RunIrGraph(m.graph, {{"ids", HostTensor::Int64({2, 4}, ids)}}));
  REQUIRE(out.size() == 4);
  const size_t tokens = ids.size(), h = static_cast<size_t>(m.hidden), f = static_cast<size_t>(m.ffn);
  const std::vector<float>& x = out[0].tensor.floats;
  const std::vector<float>& ln = out[1].tensor.floats;
  const std::vector<float>& hid = out[2].tensor.floats;
  const std::vector<float>& y = out[3].tensor.floats;
  REQUIRE(out[3].tensor.shape == std::vector<int64_t>{2, 4, m.hidden});
  int bad_x = 0, bad_ln = 0, bad_h = 0, bad_y = 0;
  for (size_t t = 0; t < tokens; ++t) {
    const auto v = static_cast<size_t>(ids[t]);
    double mean = 0, var = 0;
    for (size_t e = 0; e < h; ++e) {
      if (x[t * h + e] != m.emb_scale[v] * static_cast<float>(m.emb_codes[v * h + e])) ++bad_x;
      mean += x[t * h + e];
    }
    mean /= static_cast<double>(h);
    for (size_t e = 0; e < h; ++e) var += (x[t * h + e] - mean) * (x[t * h + e] - mean);
    var /= static_cast<double>(h);
    for (size_t e = 0; e < h; ++e) {
      const double want = (x[t * h + e] - mean) / std::sqrt(var + 1e-12) * m.gamma[e] + m.beta[e];
      if (!(std::fabs(ln[t * h + e] - want) <= 1e-5)) ++bad_ln;
    }
  }
  // QLinear on the runtime's LayerNorm output: bit-exact contract formula.
  const std::vector<float> ln_in(ln.begin(), ln.end());
  const SimActs acts = SimQuantizeActs(ln_in, tokens, h, SimGranularity::kPerToken, 2.5f, 0);
  const std::vector<int64_t> y_int = SimIntProduct(acts.q, m.w1.w_int, tokens, h, f);
  for (size_t t = 0; t < tokens; ++t) {
    for (size_t j = 0; j < f; ++j) {
      float want = std::fma(static_cast<float>(y_int[t * f + j]), m.w1.alpha[j] * acts.d[t], m.b1[j]);
      GeluErf(&want, 1, &want);
      if (hid[t * f + j] != want) ++bad_h;
    }
  }
  // Float Linear on the runtime's QLinear output.
  for (size_t t = 0; t < tokens; ++t) {
    for (size_t o = 0; o < h; ++o) {
      double acc = m.b2[o], mag = std::fabs(m.b2[o]);
      for (size_t j = 0; j < f; ++j) {
        acc += static_cast<double>(m.w2[o * f + j]) * hid[t * f + j];
        mag += std::fabs(static_cast<double>(m.w2[o * f + j]) * hid[t * f + j]);
      }
      if (!(std::fabs(y[t * h + o] - acc) <= 1e-5 * mag)) ++bad_y;
    }
  }
  CHECK(bad_x == 0);
  CHECK(bad_ln == 0);
  CHECK(bad_h == 0);
  CHECK(bad_y == 0);
}

TEST_CASE("malformed quantized graphs are refused naming the op") {
  // IR: a packed weight of the wrong size.
  {
    ir::GraphBuilder b;
    const auto x = Must(b.AddInput("x", ir::DType::kF32, {"batch", 64}));
    TernaryWeights w = MakeTernaryWeights(8, 64, true, 3);
    w.packed.pop_back();
    const auto weight = Must(b.AddConstant("w", Must(ir::Tensor::FromVector<uint8_t>({255}, w.packed))));
    const auto scale = Must(b.AddConstant("s", Must(ir::Tensor::FromVector<float>({8}, w.alpha))));
    auto y = b.AddOp(ir::OpType::kQLinear, "encoder.0.up", {x, weight, scale}, QLinearAttrs(8, 64, 1, 0, 0, 0));
    REQUIRE_FALSE(y.ok());
    CHECK(y.status().message().find("node 'encoder.0.up' (QLinear): input 1 'weight' (u8[255]) must be u8[256]") == 0);
  }
  // Runtime: NaN reaching a QLinear is an error naming the op, not garbage.
  {
    ir::GraphBuilder b;
    const auto x = Must(b.AddInput("x", ir::DType::kF32, {"batch", 32}));
    const auto y = AddQLinear(b, "classifier", x, MakeTernaryWeights(2, 32, false, 4), {}, QLinearAttrs(2, 32, 1, 0, 0, 0));
    REQUIRE(b.MarkOutput(y, "y").ok());
    const ir::Graph graph = Must(std::move(b).Build());
    std::vector<float> input(64, 0.5f);
    input[40] = std::numeric_limits<float>::quiet_NaN();
    auto run = RunIrGraph(graph, {{"x", HostTensor::Float32({2, 32}, input)}});
    REQUIRE_FALSE(run.ok());
    CHECK_MESSAGE(run.status().message().find("'classifier' (QLinear") != std::string::npos, run.status().message());
    CHECK(run.status().message().find("row 1") != std::string::npos);
  }
  // QAttention: NaN in q is an error naming the op (and the tensor), not a NaN output.
  {
    ir::GraphBuilder b;
    const auto q = Must(b.AddInput("q", ir::DType::kF32, {1, 4, 8}));
    const auto y = Must(b.AddOp(ir::OpType::kQAttention, "layer.3.attn", {q, q, q},
                                {{ir::AttrName::kNumHeads, int64_t{2}}, {ir::AttrName::kScale, 0.5}}));
    REQUIRE(b.MarkOutput(y, "y").ok());
    const ir::Graph graph = Must(std::move(b).Build());
    std::vector<float> input(32, 0.25f);
    input[9] = std::numeric_limits<float>::quiet_NaN();
    auto run = RunIrGraph(graph, {{"q", HostTensor::Float32({1, 4, 8}, input)}});
    REQUIRE_FALSE(run.ok());
    CHECK_MESSAGE(run.status().message().find("'layer.3.attn' (QAttention") != std::string::npos,
                  run.status().message());
  }
  // A packed constant read by a float op (a hand-made file; the IR cannot express it) is refused at load.
  {
    const std::vector<uint8_t> bytes = {1, 2, 3, 4};
    qm::QmModelSpec spec;
    const auto value = [](std::string name, qm::DType dtype) {
      qm::ValueSpec v;
      v.name = std::move(name);
      v.dtype = dtype;
      v.shape = {qm::DimSpec::Fixed(4)};
      return v;
    };
    spec.values.push_back(value("packed", qm::DType::U8));
    spec.values.back().constant = qm::ConstantData{bytes.data(), bytes.size()};
    spec.values.push_back(value("x", qm::DType::I64));
    spec.values.push_back(value("y", qm::DType::I64));
    spec.ops.push_back({qm::OpType::Add, 1, "add", {1, 0}, {2}, {}});
    spec.inputs = {1};
    spec.outputs = {2};
    const std::string path = (std::filesystem::temp_directory_path() / "qc_quantized_packed_add.qm").string();
    REQUIRE(qm::WriteQmFile(spec, path).ok());
    auto model = Model::Load(path);
    std::remove(path.c_str());
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().code() == StatusCode::kUnsupported);
    CHECK_MESSAGE(model.status().message().find("'add' (Add") != std::string::npos, model.status().message());
    CHECK(model.status().message().find("input 1 ('packed') is U8; packed quantized bytes are read only as") !=
          std::string::npos);
  }
}

}  // namespace qc::test
