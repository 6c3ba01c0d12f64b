// Each test breaks one invariant of a valid graph through the low-level accessors and checks the exact report.
#include <doctest/doctest.h>

#include <string>

#include "ir/builder.h"
#include "ir/verifier.h"
#include "test_graphs.h"

using namespace qc::ir;
using qc::ir::test::AddWeight;
using qc::ir::test::Must;

namespace {

// x: f32[batch, 16] -> fc (Linear 16->8, bias) -> a (Relu) -> c (Tanh) -> output "out".
struct Small {
  Graph graph;
  ValueId x, w, bias, fc_out, a_out, c_out;
  static constexpr NodeId kFc = 0, kA = 1, kC = 2;
};

Small MakeSmall() {
  GraphBuilder b;
  Small s;
  s.x = Must(b.AddInput("x", DType::kF32, {"batch", 16}));
  s.w = AddWeight(b, "fc.weight", {8, 16}, 1);
  s.bias = AddWeight(b, "fc.bias", {8}, 2);
  s.fc_out = Must(b.AddOp(OpType::kLinear, "fc", {s.x, s.w, s.bias}));
  s.a_out = Must(b.AddOp(OpType::kRelu, "a", {s.fc_out}));
  s.c_out = Must(b.AddOp(OpType::kTanh, "c", {s.a_out}));
  REQUIRE(b.MarkOutput(s.c_out, "out").ok());
  s.graph = Must(std::move(b).Build());
  return s;
}

std::string VerifyError(const Graph& graph) {
  const qc::Status status = Verify(graph);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == qc::StatusCode::kInvalidArgument);
  return status.message();
}

}  // namespace

TEST_CASE("the unbroken graphs verify") {
  CHECK(Verify(MakeSmall().graph).ok());
  CHECK(Verify(test::TinyBert()).ok());
  CHECK(Verify(test::TinyVit()).ok());
}

TEST_CASE("undefined input") {
  Small s = MakeSmall();
  const ValueId orphan = s.graph.AppendValue(Value{"", DType::kF32, {"batch", 8}, kNoNode, std::nullopt});
  s.graph.mutable_node(Small::kA).inputs[0] = orphan;
  CHECK(VerifyError(s.graph) ==
        "node 'a' (Relu): input 0 'x' value %6 is not defined (not a graph input, constant "
        "or output of a live node)");
}

TEST_CASE("input of an erased node") {
  Small s = MakeSmall();
  s.graph.mutable_node(Small::kA).erased = true;  // without the rewriter: the producer link goes stale
  CHECK(VerifyError(s.graph) == "value %4 records producer node 'a' (Relu), which is not a live node");
  s.graph.mutable_value(s.a_out).producer = kNoNode;
  CHECK(VerifyError(s.graph) ==
        "node 'c' (Tanh): input 0 'x' value %4 is not defined (not a graph input, constant "
        "or output of a live node)");
}

TEST_CASE("out-of-range ids") {
  Small s = MakeSmall();
  s.graph.mutable_node(Small::kC).inputs[0] = 77;
  CHECK(VerifyError(s.graph) == "node 'c' (Tanh): input 0 'x' refers to value id 77, out of range");
  Small t = MakeSmall();
  t.graph.mutable_outputs().push_back(123);
  CHECK(VerifyError(t.graph) == "graph output id 123 is out of range");
}

TEST_CASE("cycle") {
  Small s = MakeSmall();
  s.graph.mutable_node(Small::kA).inputs[0] = s.c_out;  // a reads c, c reads a; both f32[batch, 8]
  CHECK(VerifyError(s.graph) == "graph has a cycle: node 'a' (Relu) -> node 'c' (Tanh) -> node 'a' (Relu)");
  s.graph.mutable_node(Small::kA).inputs[0] = s.a_out;  // self-loop
  CHECK(VerifyError(s.graph) == "graph has a cycle: node 'a' (Relu) -> node 'a' (Relu)");
}

TEST_CASE("wrong arity") {
  Small s = MakeSmall();
  s.graph.mutable_node(Small::kFc).inputs.resize(1);
  CHECK(VerifyError(s.graph) == "node 'fc' (Linear): has 1 inputs, Linear takes 2..3");
  Small t = MakeSmall();
  t.graph.mutable_node(Small::kA).inputs.push_back(t.x);
  CHECK(VerifyError(t.graph) == "node 'a' (Relu): has 2 inputs, Relu takes 1..1");
  Small u = MakeSmall();
  u.graph.mutable_node(Small::kFc).inputs[1] = kNoValue;
  CHECK(VerifyError(u.graph) == "node 'fc' (Linear): required input 1 'weight' is absent");
  Small v = MakeSmall();
  v.graph.mutable_node(Small::kFc).inputs[2] = kNoValue;  // the bias is optional
  CHECK(Verify(v.graph).ok());
  Small w = MakeSmall();
  w.graph.mutable_node(Small::kA).outputs.push_back(w.x);
  CHECK(VerifyError(w.graph) == "node 'a' (Relu): has 2 outputs, Relu produces 1");
}

TEST_CASE("missing, unknown and mistyped attributes") {
  Graph g = test::TinyBert();
  const ValueId ln = test::OutputOfNode(g, "/bert/embeddings/LayerNorm/LayerNormalization");
  Node& node = g.mutable_node(g.value(ln).producer);
  node.attributes.Erase(AttrName::kEpsilon);
  CHECK(VerifyError(g) ==
        "node '/bert/embeddings/LayerNorm/LayerNormalization' (LayerNorm): required attribute 'epsilon' is missing");
  node.attributes.Set(AttrName::kEpsilon, std::string("1e-12"));
  CHECK(VerifyError(g) ==
        "node '/bert/embeddings/LayerNorm/LayerNormalization' (LayerNorm): attribute 'epsilon' is string, expected "
        "float");
  node.attributes.Set(AttrName::kEpsilon, 1e-12);
  node.attributes.Erase(AttrName::kAxis);  // defaulted attributes must stay explicit
  CHECK(VerifyError(g).find("attribute 'axis' is missing") != std::string::npos);
  node.attributes.Set(AttrName::kAxis, int64_t{-1});
  node.attributes.Set(AttrName::kNumHeads, int64_t{2});
  CHECK(VerifyError(g) ==
        "node '/bert/embeddings/LayerNorm/LayerNormalization' (LayerNorm): LayerNorm takes no attribute 'num_heads'");
}

TEST_CASE("shape and dtype mismatches") {
  Small s = MakeSmall();
  s.graph.mutable_value(s.a_out).shape = {"batch", 9};
  // The first node whose stored output disagrees with inference is 'a' itself.
  CHECK(VerifyError(s.graph) ==
        "node 'a' (Relu): output 0 value %4 is f32[batch, 9], but its inputs give f32[batch, 8]");
  Small t = MakeSmall();
  t.graph.mutable_value(t.fc_out).dtype = DType::kI32;
  CHECK(VerifyError(t.graph) ==
        "node 'fc' (Linear): output 0 value %3 is i32[batch, 8], but its inputs give f32[batch, 8]");
  Small u = MakeSmall();
  u.graph.mutable_value(u.w).shape = {8, 15};  // declared type no longer matches the tensor
  CHECK(VerifyError(u.graph) == "value 'fc.weight': declared f32[8, 15] but its tensor is f32[8, 16]");
  Small v = MakeSmall();
  v.graph.mutable_value(v.x).shape = {"batch", 12};  // a consumer's inference now fails
  CHECK(VerifyError(v.graph) ==
        "node 'fc' (Linear): input 1 'weight' (f32[8, 16]) dimension 1 must equal input 0 "
        "'x' (f32[batch, 12]) dimension 1");
  Small w = MakeSmall();
  w.graph.mutable_value(w.x).shape = {"bad symbol", 16};
  CHECK(VerifyError(w.graph).find("symbol 'bad symbol' contains a space") != std::string::npos);
  Small z = MakeSmall();
  z.graph.mutable_value(z.x).dtype = static_cast<DType>(77);
  CHECK(VerifyError(z.graph) == "value 'x': invalid dtype");
}

TEST_CASE("single producer and producer links") {
  Small s = MakeSmall();
  s.graph.mutable_node(Small::kC).outputs[0] = s.a_out;  // a and c both claim a_out
  CHECK(VerifyError(s.graph) ==
        "node 'c' (Tanh): output 0 value %4 is also produced by node 'a' (Relu) (a value has "
        "one producer)");
  Small t = MakeSmall();
  t.graph.mutable_value(t.a_out).producer = Small::kC;
  CHECK(VerifyError(t.graph) == "value %4 is an output of node 'a' (Relu) but records producer node 'c' (Tanh)");
  Small u = MakeSmall();
  u.graph.mutable_node(Small::kA).outputs[0] = u.w;
  CHECK(VerifyError(u.graph) == "node 'a' (Relu): output 0 value 'fc.weight' is a constant");
  Small v = MakeSmall();
  v.graph.mutable_node(Small::kA).outputs[0] = v.x;
  CHECK(VerifyError(v.graph) == "node 'a' (Relu): output 0 value 'x' is a graph input");
}

TEST_CASE("names, graph inputs and graph outputs") {
  Small s = MakeSmall();
  s.graph.mutable_value(s.a_out).name = "x";
  CHECK(VerifyError(s.graph) == "value 'x': name is used by value ids 0 and 4");
  Small t = MakeSmall();
  t.graph.mutable_value(t.w).name.clear();
  CHECK(VerifyError(t.graph) == "value %1: constants must be named");
  Small u = MakeSmall();
  u.graph.mutable_inputs().push_back(u.x);
  CHECK(VerifyError(u.graph) == "graph input value 'x' is listed twice");
  Small v = MakeSmall();
  v.graph.mutable_inputs().push_back(v.w);
  CHECK(VerifyError(v.graph) == "graph input value 'fc.weight' is also a constant");
  Small w = MakeSmall();
  w.graph.mutable_outputs().push_back(w.c_out);
  CHECK(VerifyError(w.graph) == "graph output value 'out' is listed twice");
  Small x = MakeSmall();
  x.graph.mutable_outputs()[0] = x.a_out;  // unnamed
  CHECK(VerifyError(x.graph) == "graph output value %4: graph outputs must be named");
  Small y = MakeSmall();
  const ValueId orphan = y.graph.AppendValue(Value{"ghost", DType::kF32, {1}, kNoNode, std::nullopt});
  y.graph.mutable_outputs()[0] = orphan;
  CHECK(VerifyError(y.graph) ==
        "graph output value 'ghost' is not defined (not a graph input, constant or output "
        "of a live node)");
  Small z = MakeSmall();
  z.graph.mutable_outputs().clear();
  CHECK(VerifyError(z.graph) == "graph has no outputs");
}

TEST_CASE("quantization annotations") {
  Small s = MakeSmall();
  QuantAnnotation ternary;
  ternary.weight = WeightQuant{WeightBits::kTernary, WeightGranularity::kPerRow, 0};
  s.graph.mutable_node(Small::kFc).quant = ternary;
  CHECK(Verify(s.graph).ok());
  s.graph.mutable_node(Small::kA).quant = ternary;
  CHECK(VerifyError(s.graph) == "node 'a' (Relu): has a weight quantization annotation, but Relu has no weight input");
  s.graph.mutable_node(Small::kA).quant.reset();
  s.graph.mutable_node(Small::kFc).quant->weight = WeightQuant{WeightBits::kInt4, WeightGranularity::kPerGroup, 5};
  CHECK(VerifyError(s.graph) == "node 'fc' (Linear): weight rows of 16 elements do not split into groups of 5");
  s.graph.mutable_node(Small::kFc).quant->weight->group_size = 8;
  CHECK(Verify(s.graph).ok());
  s.graph.mutable_node(Small::kFc).quant->weight->group_size = 0;
  CHECK(VerifyError(s.graph) ==
        "node 'fc' (Linear): quantization annotation: per_group weights need group_size > 0, "
        "got 0");
}

TEST_CASE("corrupt op values") {
  Small s = MakeSmall();
  s.graph.mutable_node(Small::kA).op = static_cast<OpType>(500);
  CHECK(VerifyError(s.graph) == "node 'a' (invalid): invalid op type value 500");
}
