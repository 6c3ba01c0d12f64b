// merge_qkv: the packed-layout fact it relies on (three packed [H, K] blobs side by side are the packing of the
// [3H, K] matrix), golden dumps before/after on tiny BERT, bit-identical outputs through the runtime for t2 / i4 /
// i8 weights and per-tensor / per-row scales and absent biases, and every near-miss left untouched.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <random>

#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/rewriter.h"
#include "pass_test_util.h"
#include "passes/dead_code.h"
#include "passes/fuse_gelu_epilogue.h"
#include "passes/lower_quantized.h"
#include "passes/merge_qkv.h"
#include "passes/quantize_annotate.h"
#include "runtime/quant/i4_pack.h"
#include "runtime/quant/i8_pack.h"
#include "runtime/quant/t2_pack.h"

using namespace qc;
using namespace qc::passes;
using namespace qc::passes::test;

namespace {

// Packs codes [n, k] (t2: 0..2, i4: -7..7, i8: -127..127) in `format` (1 t2, 2 i4, 3 i8).
std::vector<uint8_t> Pack(int format, const std::vector<int8_t>& codes, size_t n, size_t k) {
  std::vector<uint8_t> out;
  if (format == 1) {
    std::vector<uint8_t> c(codes.begin(), codes.end());
    out.resize(T2PackedBytes(n, k));
    REQUIRE(PackT2(c.data(), n, k, k, out.data(), out.size()).ok());
  } else if (format == 2) {
    out.resize(I4PackedBytes(n, k));
    REQUIRE(PackI4(codes.data(), n, k, k, out.data(), out.size()).ok());
  } else {
    out.resize(I8PackedBytes(n, k));
    REQUIRE(PackI8(codes.data(), n, k, k, out.data(), out.size()).ok());
  }
  return out;
}

std::vector<int8_t> RandomCodes(int format, size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int8_t> c(count);
  for (int8_t& v : c) {
    v = static_cast<int8_t>(format == 1 ? static_cast<int>(rng() % 3)
                                        : static_cast<int>(rng() % (format == 2 ? 15 : 255)) - (format == 2 ? 7 : 127));
  }
  return c;
}

// Tiny BERT annotated at `bits`, lowered, GELU fused and compacted: the graph merge_qkv sees in the pipeline.
ir::Graph LoweredTinyBert(int bits) {
  ir::Graph g = ir::test::TinyBert();
  PassContext context;
  REQUIRE(RunPassOk(*MakeQuantizeAnnotatePass(Must(DefaultQuantConfig(bits))), g, context));
  REQUIRE(RunPassOk(*MakeLowerQuantizedPass(), g, context));
  REQUIRE(RunPassOk(*MakeFuseGeluEpiloguePass(), g, context));
  RunPassOk(*MakeDeadCodePass(), g, context);
  return g;
}

ir::NodeId NodeNamed(const ir::Graph& g, const std::string& name) {
  for (ir::NodeId n = 0; n < g.num_nodes(); ++n) {
    if (!g.node(n).erased && g.node(n).name == name) return n;
  }
  FAIL("no node " << name);
  return ir::kNoNode;
}

size_t Count(const ir::Graph& g, ir::OpType op) {
  size_t n = 0;
  for (const ir::Node& node : g.nodes()) n += !node.erased && node.op == op ? 1 : 0;
  return n;
}

const std::string kQuery = "/bert/encoder/layer/0/attention/self/query/MatMul";
const std::string kKey = "/bert/encoder/layer/0/attention/self/key/MatMul";
const std::string kValue = "/bert/encoder/layer/0/attention/self/value/MatMul";

// Runs merge_qkv; true when it changed the graph (which must then still run bit-identically).
bool MergeAndCompare(ir::Graph& g, const std::vector<NamedTensor>& inputs) {
  const auto before = RunGraph(g, inputs);
  PassContext context;
  auto merge = MakeMergeQkvPass();
  const bool changed = RunPassOk(*merge, g, context);
  RunPassOk(*MakeDeadCodePass(), g, context);
  CheckBitIdentical(before, RunGraph(g, inputs));
  return changed;
}

// One hand-built site: x [2, seq, 160] -> three QLinears (H each) -> QAttention (2 heads) -> y. `part(i, ...)`
// may change projection i's weight format, scale count, bias and attributes before it is added.
struct PartSpec {
  int format = 1;
  bool per_row = false;
  bool bias = true;
  ir::Attributes extra;  // overrides of the default QLinear attributes
};
ir::Graph HandBuiltSite(int64_t hidden, const std::function<void(int, PartSpec&)>& part = nullptr) {
  constexpr int64_t k = 160;  // two K blocks, the second partial
  ir::GraphBuilder b;
  const auto x = Must(b.AddInput("x", ir::DType::kF32, {2, "seq", k}));
  const auto mask = Must(b.AddInput("mask", ir::DType::kI64, {2, "seq"}));
  std::vector<ir::ValueId> proj;
  const char* names[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i) {
    PartSpec spec;
    if (part) part(i, spec);
    const auto h = static_cast<size_t>(hidden);
    const std::vector<uint8_t> packed = Pack(spec.format, RandomCodes(spec.format, h * k, 11 + i), h, k);
    const std::string n = std::string("layer.") + names[i];
    const auto w = Must(b.AddConstant(n + ".w", Must(ir::Tensor::FromVector<uint8_t>(
                                                    {static_cast<int64_t>(packed.size())}, packed))));
    const int64_t scales = spec.per_row ? hidden : 1;
    const auto s = Must(b.AddConstant(
        n + ".s", Must(ir::Tensor::FromVector<float>({scales}, ir::test::Weights(static_cast<size_t>(scales), 40 + i)))));
    std::vector<ir::ValueId> inputs = {x, w, s};
    if (spec.bias) {
      inputs.push_back(Must(b.AddConstant(
          n + ".b", Must(ir::Tensor::FromVector<float>({hidden}, ir::test::Weights(h, 50 + i))))));
    }
    ir::Attributes attrs{{ir::AttrName::kWeightFormat, int64_t{spec.format}},
                         {ir::AttrName::kInFeatures, k},
                         {ir::AttrName::kOutFeatures, hidden}};
    for (const auto& [key, value] : spec.extra) attrs.Set(key, value);
    proj.push_back(Must(b.AddOp(ir::OpType::kQLinear, n + "/MatMul", inputs, attrs)));
  }
  ir::Attributes attn{{ir::AttrName::kNumHeads, int64_t{2}}, {ir::AttrName::kScale, 0.25}};
  const auto y = Must(b.AddOp(ir::OpType::kQAttention, "layer.attn", {proj[0], proj[1], proj[2], mask}, attn));
  REQUIRE(b.MarkOutput(y, "y").ok());
  return Must(std::move(b).Build());
}

std::vector<NamedTensor> HandInputs(int64_t seq) {
  std::vector<int64_t> mask(static_cast<size_t>(2 * seq), 1);
  mask.back() = 0;
  std::vector<float> x = ir::test::Weights(static_cast<size_t>(2 * seq * 160), 77);
  for (float& v : x) v *= 3.0f;
  return {{"x", HostTensor::Float32({2, seq, 160}, x)}, {"mask", HostTensor::Int64({2, seq}, mask)}};
}

// merge_qkv must leave the graph exactly as it was.
void CheckUntouched(ir::Graph& g) {
  const std::string before = ir::PrintGraph(g);
  PassContext context;
  CHECK_FALSE(RunPassOk(*MakeMergeQkvPass(), g, context));
  CHECK(ir::PrintGraph(g) == before);
}

}  // namespace

TEST_CASE("three packed [H, K] blobs side by side are the packing of [3H, K] exactly when 4 divides H") {
  for (int format : {1, 2, 3}) {
    for (size_t h : {4, 8, 12, 64, 6}) {
      for (size_t k : {16, 128, 130, 300}) {
        CAPTURE(format);
        CAPTURE(h);
        CAPTURE(k);
        const std::vector<int8_t> codes = RandomCodes(format, 3 * h * k, static_cast<uint32_t>(h * 1000 + k));
        const std::vector<uint8_t> whole = Pack(format, codes, 3 * h, k);
        std::vector<uint8_t> parts;
        for (size_t p = 0; p < 3; ++p) {
          const std::vector<int8_t> third(codes.begin() + static_cast<long>(p * h * k),
                                          codes.begin() + static_cast<long>((p + 1) * h * k));
          const std::vector<uint8_t> packed = Pack(format, third, h, k);
          parts.insert(parts.end(), packed.begin(), packed.end());
        }
        // With a partial row group each part pads its last group: the layouts differ (the pass refuses such H).
        CHECK((parts == whole) == (h % 4 == 0));
      }
    }
  }
}

TEST_CASE("merge_qkv on tiny BERT: golden before/after, bit-identical at 2, 4 and 8 bits, idempotent") {
  ir::Graph g = LoweredTinyBert(2);
  CheckGolden(ir::PrintGraph(g), "fuse_gelu_epilogue.after.txt");  // the input: lower_quantized + GELU fused
  CHECK(MergeAndCompare(g, TinyBertInputs(6)));
  CheckGolden(ir::PrintGraph(g), "merge_qkv.after.txt");
  CHECK(Count(g, ir::OpType::kQAttention) == 0);
  CHECK(Count(g, ir::OpType::kQAttentionQkv) == 1);
  CHECK(Count(g, ir::OpType::kQLinear) == 5);
  const ir::Node& qkv = g.node(NodeNamed(g, "/bert/encoder/layer/0/attention/self/qkv"));
  CHECK(Must(qkv.attributes.GetInt(ir::AttrName::kOutFeatures, "")) == 48);
  CHECK(g.value(qkv.inputs[2]).shape == ir::Shape{48});  // per-tensor α repeated per row
  const ir::Node& attn = g.node(NodeNamed(g, "/bert/encoder/layer/0/attention/self/Attention"));
  CHECK(attn.op == ir::OpType::kQAttentionQkv);
  CHECK(attn.inputs[0] == qkv.outputs[0]);
  PassContext context;
  CHECK_FALSE(RunPassOk(*MakeMergeQkvPass(), g, context));

  for (int bits : {4, 8}) {
    CAPTURE(bits);
    ir::Graph gi = LoweredTinyBert(bits);
    CHECK(MergeAndCompare(gi, TinyBertInputs(7)));
    CHECK(Count(gi, ir::OpType::kQAttentionQkv) == 1);
    CHECK(gi.FindValue("bert.encoder.layer.0.attention.self.qkv.qweight").ok());
  }
}

TEST_CASE("merge_qkv merges mixed scale granularities and a missing bias bit-identically") {
  for (int format : {1, 2, 3}) {
    CAPTURE(format);
    ir::Graph g = HandBuiltSite(8, [format](int i, PartSpec& s) {
      s.format = format;
      s.per_row = i == 1;  // k per row, q and v per tensor
      s.bias = i != 2;     // v without bias: +0.0f in the merged bias
    });
    CHECK(MergeAndCompare(g, HandInputs(5)));
    CHECK(Count(g, ir::OpType::kQAttentionQkv) == 1);
    const ir::Node& qkv = g.node(NodeNamed(g, "layer.qkv"));
    CHECK(g.value(qkv.inputs[3]).name == "layer.qkv.qbias");
    const std::vector<float> bias = Must(g.value(qkv.inputs[3]).constant->ToVector<float>());
    for (size_t j = 16; j < 24; ++j) CHECK(std::signbit(bias[j]) == false);
  }
  // Static activations with a clip, no bias anywhere: the merged QLinear has none either.
  ir::Attributes statics{{ir::AttrName::kActGranularity, int64_t{3}},
                         {ir::AttrName::kActAmax, 2.75},
                         {ir::AttrName::kActClip, 2.5}};
  ir::Graph g = HandBuiltSite(12, [&](int, PartSpec& s) {
    s.bias = false;
    s.extra = statics;
  });
  CHECK(MergeAndCompare(g, HandInputs(4)));
  CHECK(g.node(NodeNamed(g, "layer.qkv")).inputs.size() == 3);
}

TEST_CASE("merge_qkv leaves every near-miss untouched") {
  SUBCASE("projections read different inputs") {
    ir::Graph g = LoweredTinyBert(2);
    ir::Rewriter rw(g);
    const ir::ValueId other = g.node(NodeNamed(g, "/bert/embeddings/Add_1")).outputs[0];
    REQUIRE(rw.SetInput(NodeNamed(g, kKey), 0, other).ok());
    CheckUntouched(g);
  }
  SUBCASE("different activation clip") {
    ir::Graph g = LoweredTinyBert(2);
    REQUIRE(ir::Rewriter(g).SetAttribute(NodeNamed(g, kKey), ir::AttrName::kActClip, 2.5).ok());
    CheckUntouched(g);
  }
  SUBCASE("different activation granularity") {
    ir::Graph g = LoweredTinyBert(8);
    REQUIRE(ir::Rewriter(g).SetAttribute(NodeNamed(g, kValue), ir::AttrName::kActGranularity, int64_t{2}).ok());
    CheckUntouched(g);
  }
  SUBCASE("an extra consumer of the Q output") {
    ir::Graph g = LoweredTinyBert(2);
    ir::Rewriter rw(g);
    const ir::ValueId q = g.node(NodeNamed(g, kQuery)).outputs[0];
    const ir::ValueId relu = Must(rw.InsertOp(ir::OpType::kRelu, "extra", {q}));
    g.mutable_value(relu).name = "extra_out";
    g.mutable_outputs().push_back(relu);
    CheckUntouched(g);
  }
  SUBCASE("the K output is a graph output") {
    ir::Graph g = LoweredTinyBert(2);
    const ir::ValueId k = g.node(NodeNamed(g, kKey)).outputs[0];
    g.mutable_value(k).name = "k_out";
    g.mutable_outputs().push_back(k);
    CheckUntouched(g);
  }
  SUBCASE("a GELU epilogue on V") {
    ir::Graph g = LoweredTinyBert(2);
    REQUIRE(ir::Rewriter(g).SetAttribute(NodeNamed(g, kValue), ir::AttrName::kEpilogue, int64_t{1}).ok());
    CheckUntouched(g);
  }
  SUBCASE("H not a multiple of the 4-row groups") {
    ir::Graph g = HandBuiltSite(6);
    CheckUntouched(g);
  }
  SUBCASE("different weight formats") {
    ir::Graph g = HandBuiltSite(8, [](int i, PartSpec& s) { s.format = i == 2 ? 3 : 1; });
    CheckUntouched(g);
  }
  SUBCASE("static activations with different ranges") {
    ir::Graph g = HandBuiltSite(8, [](int i, PartSpec& s) {
      s.extra = {{ir::AttrName::kActGranularity, int64_t{3}}, {ir::AttrName::kActAmax, i == 0 ? 2.0 : 2.5}};
    });
    CheckUntouched(g);
  }
  SUBCASE("one projection read three times") {
    ir::Graph g = LoweredTinyBert(2);
    ir::Rewriter rw(g);
    const ir::NodeId attn = NodeNamed(g, "/bert/encoder/layer/0/attention/self/Attention");
    const ir::ValueId q = g.node(NodeNamed(g, kQuery)).outputs[0];
    REQUIRE(rw.SetInput(attn, 1, q).ok());
    REQUIRE(rw.SetInput(attn, 2, q).ok());
    rw.EliminateDeadCode();
    CheckUntouched(g);
  }
}
