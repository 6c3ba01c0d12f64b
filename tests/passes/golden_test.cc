// Each pass on a small graph, before/after as golden text dumps (tests/passes/golden/*.txt), and the semantics-
// preserving passes checked differentially: the graph with and without the pass, run through the runtime, gives
// bit-identical outputs.
#include <doctest/doctest.h>

#include <cmath>

#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/rewriter.h"
#include "pass_test_util.h"
#include "passes/constant_folding.h"
#include "passes/dead_code.h"
#include "passes/fuse_gelu_epilogue.h"
#include "passes/lower_quantized.h"
#include "passes/quantize_annotate.h"

using namespace qc;
using namespace qc::passes;
using namespace qc::passes::test;

namespace {

// TinyBert plus a dead branch: a Linear on the embedding LayerNorm whose output nobody reads, and its weight.
ir::Graph TinyBertWithDeadBranch() {
  ir::test::TinyBertIds ids;
  ir::GraphBuilder b(ir::test::TinyBert(&ids));
  const ir::ValueId w = ir::test::AddWeight(b, "dead.weight", {4, 16}, 99);
  Must(b.AddOp(ir::OpType::kLinear, "dead/Linear", {ids.embeddings_ln, w}));
  return Must(std::move(b).Build());
}

// y = x + (a + b) * c: the bracket is constant.
ir::Graph ConstantExpressionGraph() {
  ir::GraphBuilder b;
  const ir::ValueId x = Must(b.AddInput("x", ir::DType::kF32, {"batch", 4}));
  const ir::ValueId a = Must(b.AddConstant("a", Must(ir::Tensor::FromVector<float>({4}, {0.1f, 0.2f, 0.3f, 1e-8f}))));
  const ir::ValueId c0 = Must(b.AddConstant("b", Must(ir::Tensor::FromVector<float>({4}, {1.0f, -2.0f, 3.5f, 1.0f}))));
  const ir::ValueId c = Must(b.AddConstant("c", Must(ir::Tensor::FromVector<float>({1}, {0.3f}))));
  const ir::ValueId t = Must(b.AddOp(ir::OpType::kAdd, "sum", {a, c0}));
  const ir::ValueId u = Must(b.AddOp(ir::OpType::kMul, "scale", {t, c}));
  const ir::ValueId y = Must(b.AddOp(ir::OpType::kAdd, "out", {x, u}));
  REQUIRE(b.MarkOutput(y, "y").ok());
  return Must(std::move(b).Build());
}

ir::Graph AnnotatedTinyBert() {
  ir::Graph g = ir::test::TinyBert();
  PassContext context;
  auto annotate = MakeQuantizeAnnotatePass(Must(DefaultQuantConfig(2)));
  REQUIRE(RunPassOk(*annotate, g, context));
  return g;
}

}  // namespace

TEST_CASE("dead_code removes the unused branch and its constant, exactly") {
  ir::Graph g = TinyBertWithDeadBranch();
  CheckGolden(ir::PrintGraph(g), "dead_code.before.txt");
  const auto before = RunGraph(g, TinyBertInputs(5));
  PassContext context;
  auto pass = MakeDeadCodePass();
  CHECK(RunPassOk(*pass, g, context));
  CHECK_FALSE(g.FindValue("dead.weight").ok());
  CheckGolden(ir::PrintGraph(g), "dead_code.after.txt");
  CHECK(ir::PrintGraph(g) == ir::PrintGraph(ir::test::TinyBert()));
  CheckBitIdentical(before, RunGraph(g, TinyBertInputs(5)));
  CHECK_FALSE(RunPassOk(*pass, g, context));  // idempotent
}

TEST_CASE("constant_folding folds Add/Mul of constants; outputs stay bit-identical") {
  ir::Graph g = ConstantExpressionGraph();
  CheckGolden(ir::PrintGraph(g), "constant_folding.before.txt");
  const std::vector<NamedTensor> inputs = {{"x", HostTensor::Float32({3, 4}, {1, 2, 3, 4, -1, -2, -3, -4, 0.5f,
                                                                            1e-7f, 1e7f, -0.0f})}};
  const auto before = RunGraph(g, inputs);
  PassContext context;
  auto fold = MakeConstantFoldingPass();
  CHECK(RunPassOk(*fold, g, context));
  auto dce = MakeDeadCodePass();
  CHECK(RunPassOk(*dce, g, context));
  CheckGolden(ir::PrintGraph(g), "constant_folding.after.txt");
  size_t live = 0;
  for (const ir::Node& n : g.nodes()) live += n.erased ? 0 : 1;
  CHECK(live == 1);
  CheckBitIdentical(before, RunGraph(g, inputs));
  CHECK_FALSE(RunPassOk(*fold, g, context));
}

TEST_CASE("constant_folding leaves non-constant and graph-output nodes alone") {
  ir::Graph g = ir::test::TinyBert();
  const std::string text = ir::PrintGraph(g);
  PassContext context;
  auto fold = MakeConstantFoldingPass();
  CHECK_FALSE(RunPassOk(*fold, g, context));
  CHECK(ir::PrintGraph(g) == text);
}

TEST_CASE("quantize_annotate on tiny BERT at 2 bits") {
  ir::Graph g = ir::test::TinyBert();
  PassContext context;
  auto pass = MakeQuantizeAnnotatePass(Must(DefaultQuantConfig(2)));
  CHECK(RunPassOk(*pass, g, context));
  CheckGolden(ir::PrintGraph(g), "quantize_annotate.after.txt");
  CHECK_FALSE(RunPassOk(*pass, g, context));  // same decisions again: no change
}

TEST_CASE("lower_quantized and fuse_gelu_epilogue on tiny BERT at 2 bits") {
  ir::Graph g = AnnotatedTinyBert();
  PassContext context;
  auto lower = MakeLowerQuantizedPass();
  CHECK(RunPassOk(*lower, g, context));
  auto dce = MakeDeadCodePass();
  RunPassOk(*dce, g, context);
  CheckGolden(ir::PrintGraph(g), "lower_quantized.after.txt");
  for (const ir::Node& n : g.nodes()) CHECK_FALSE((n.op == ir::OpType::kLinear && n.quant));
  const auto unfused = RunGraph(g, TinyBertInputs(6));

  auto fuse = MakeFuseGeluEpiloguePass();
  CHECK(RunPassOk(*fuse, g, context));
  RunPassOk(*dce, g, context);
  CheckGolden(ir::PrintGraph(g), "fuse_gelu_epilogue.after.txt");
  size_t gelus = 0;
  for (const ir::Node& n : g.nodes()) gelus += n.op == ir::OpType::kGelu ? 1 : 0;
  CHECK(gelus == 0);
  // The epilogue calls the same GELU as the float op: fusing is exact.
  CheckBitIdentical(unfused, RunGraph(g, TinyBertInputs(6)));
}

TEST_CASE("Attention lowers to QAttention with the same inputs plus act_clip, and runs") {
  ir::Graph g = ir::test::TinyBert();
  QuantConfig config = Must(DefaultQuantConfig(2));
  config.act_clip = 2.5;
  PassContext context;
  auto annotate = MakeQuantizeAnnotatePass(config);
  auto lower = MakeLowerQuantizedPass();
  REQUIRE(RunPassOk(*annotate, g, context));
  REQUIRE(RunPassOk(*lower, g, context));
  size_t found = 0;
  for (const ir::Node& n : g.nodes()) {
    if (n.erased || n.op != ir::OpType::kQAttention) continue;
    ++found;
    CHECK(n.inputs.size() == 4);
    CHECK(Must(n.attributes.GetInt(ir::AttrName::kNumHeads, "")) == 2);
    CHECK(Must(n.attributes.GetFloat(ir::AttrName::kActClip, "")) == 2.5);
    CHECK_FALSE(n.quant.has_value());
  }
  CHECK(found == 1);
  const auto out = RunGraph(g, TinyBertInputs(6));
  REQUIRE(out[0].tensor.shape == std::vector<int64_t>{2, 2});
  for (float v : out[0].tensor.floats) CHECK(std::isfinite(v));
}

TEST_CASE("a weight shared by two Linears is packed once per layer under distinct names") {
  ir::GraphBuilder b;
  const ir::ValueId x = Must(b.AddInput("x", ir::DType::kF32, {"batch", 8}));
  const ir::ValueId w = ir::test::AddWeight(b, "shared.w", {8, 8}, 3);
  const ir::ValueId h = Must(b.AddOp(ir::OpType::kLinear, "first", {x, w}));
  const ir::ValueId y = Must(b.AddOp(ir::OpType::kLinear, "second", {h, w}));
  const ir::ValueId z = Must(b.AddOp(ir::OpType::kRelu, "relu", {y}));
  REQUIRE(b.MarkOutput(z, "z").ok());
  ir::Graph g = Must(std::move(b).Build());
  PassContext context;
  auto annotate = MakeQuantizeAnnotatePass(Must(DefaultQuantConfig(2)));
  auto lower = MakeLowerQuantizedPass();
  REQUIRE(RunPassOk(*annotate, g, context));
  REQUIRE(RunPassOk(*lower, g, context));
  CHECK(g.FindValue("shared.w.qweight").ok());
  CHECK(g.FindValue("shared.w.qweight.1").ok());
  const auto out = RunGraph(g, {{"x", HostTensor::Float32({1, 8}, {1, -2, 3, -4, 5, -6, 7, -8})}});
  CHECK(out[0].tensor.shape == std::vector<int64_t>{1, 8});
}
