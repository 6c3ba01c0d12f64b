#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/rewriter.h"
#include "ir/verifier.h"
#include "test_graphs.h"

using namespace qc::ir;
using qc::ir::test::AddWeight;
using qc::ir::test::Must;

TEST_CASE("insert a node after a value and redirect its uses") {
  test::TinyBertIds ids;
  Graph g = test::TinyBert(&ids);
  Rewriter rw(g);
  const NodeId old_gelu = g.value(ids.gelu).producer;
  const ValueId gelu_input = g.node(old_gelu).inputs[0];
  const NodeId down = g.Consumers(ids.gelu).at(0);

  // Swap the exact Gelu for the tanh form: new node, replace uses, drop the old one.
  const ValueId tanh_gelu =
      Must(rw.InsertOp(OpType::kGelu, "gelu_tanh", {gelu_input}, {{AttrName::kApproximate, int64_t{1}}}));
  REQUIRE(rw.ReplaceAllUsesWith(ids.gelu, tanh_gelu).ok());
  CHECK(g.node(down).inputs[0] == tanh_gelu);
  CHECK(g.Consumers(ids.gelu).empty());
  REQUIRE(rw.EraseNode(old_gelu).ok());
  CHECK_FALSE(g.IsLive(old_gelu));
  CHECK(g.value(ids.gelu).producer == kNoNode);
  CHECK(Verify(g).ok());  // tombstones and the orphaned value are fine before Compact

  const NodeId inserted = g.value(tanh_gelu).producer;
  CHECK(inserted == g.num_nodes() - 1);  // appended at the end
  const CompactionMap map = Must(rw.Compact());
  CHECK(Verify(g).ok());
  CHECK(map.nodes[old_gelu] == kNoNode);
  CHECK(map.values[ids.gelu] == kNoValue);
  // Compact puts the inserted node in topological position: the old Gelu's slot.
  CHECK(map.nodes[inserted] == old_gelu);
  CHECK(g.node(old_gelu).name == "gelu_tanh");
  CHECK(g.value(map.values[tanh_gelu]).producer == old_gelu);
  CHECK(g.num_nodes() == 21);
  for (size_t i = 0; i < g.num_nodes(); ++i) CHECK_FALSE(g.node(static_cast<NodeId>(i)).erased);
  CHECK(Must(g.TopologicalOrder()).back() == g.num_nodes() - 1);
}

TEST_CASE("uses inside the replacement's own computation keep the old value") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {4}));
  const ValueId a = Must(b.AddOp(OpType::kRelu, "a", {x}));
  const ValueId c = Must(b.AddOp(OpType::kTanh, "c", {a}));
  REQUIRE(b.MarkOutput(c, "out").ok());
  Graph g = Must(std::move(b).Build());
  Rewriter rw(g);
  // Insert f(a) = Relu(a) and make every other use of a read f(a).
  const ValueId f = Must(rw.InsertOp(OpType::kRelu, "f", {a}));
  REQUIRE(rw.ReplaceAllUsesWith(a, f).ok());
  CHECK(g.node(2).inputs[0] == a);  // f still reads a: no cycle
  CHECK(g.node(1).inputs[0] == f);
  CHECK(Verify(g).ok());
}

TEST_CASE("ReplaceAllUsesWith keeps graph output names and types") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {"batch", 4}));
  const ValueId w = AddWeight(b, "w", {4, 4}, 1);
  const ValueId y = Must(b.AddOp(OpType::kLinear, "fc", {x, w}));
  const ValueId z = Must(b.AddOp(OpType::kTanh, "t", {y}));
  REQUIRE(b.MarkOutput(z, "out").ok());
  Graph g = Must(std::move(b).Build());
  Rewriter rw(g);

  const ValueId relu = Must(rw.InsertOp(OpType::kRelu, "r", {y}));
  REQUIRE(rw.ReplaceAllUsesWith(z, relu).ok());
  CHECK(g.outputs() == std::vector<ValueId>{relu});
  CHECK(g.value(relu).name == "out");  // the output name moved with the use
  CHECK(g.value(z).name.empty());
  CHECK(rw.EliminateDeadCode() == 1);  // the Tanh
  CHECK(Verify(g).ok());

  const ValueId other = Must(rw.InsertOp(OpType::kTanh, "t2", {y}, {}, "named"));
  CHECK(rw.ReplaceAllUsesWith(relu, other).message() ==
        "ReplaceAllUsesWith: value 'out' -> value 'named': graph output 'out' would be renamed; the replacement is "
        "already named");
  CHECK(rw.ReplaceAllUsesWith(relu, x).message() ==
        "ReplaceAllUsesWith: value 'out' -> value 'x': graph output 'out' would be renamed; the replacement is already "
        "named");
  CHECK(rw.ReplaceAllUsesWith(relu, w).message() ==
        "ReplaceAllUsesWith: value 'out' -> value 'w': types differ (f32[batch, 4] vs f32[4, 4])");
  CHECK(rw.ReplaceAllUsesWith(relu, 1000).message() == "ReplaceAllUsesWith: value id out of range (4, 1000)");
  CHECK(rw.ReplaceAllUsesWith(relu, relu).ok());
  CHECK(g.outputs() == std::vector<ValueId>{relu});
}

TEST_CASE("dead code elimination is transitive and spares graph outputs") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {"batch", 8}));
  const ValueId unused_weight = AddWeight(b, "unused.weight", {8, 8}, 7);
  const ValueId dead1 = Must(b.AddOp(OpType::kLinear, "dead1", {x, unused_weight}));
  const ValueId dead2 = Must(b.AddOp(OpType::kRelu, "dead2", {dead1}));
  Must(b.AddOp(OpType::kTanh, "dead3", {dead2}));
  const ValueId live = Must(b.AddOp(OpType::kRelu, "live", {x}));
  REQUIRE(b.MarkOutput(live, "out").ok());
  Graph g = Must(std::move(b).Build());
  Rewriter rw(g);
  CHECK(rw.EliminateDeadCode() == 3);
  CHECK(rw.EliminateDeadCode() == 0);
  CHECK(g.IsLive(3));
  CHECK(Verify(g).ok());

  const CompactionMap map = Must(rw.Compact());
  CHECK(g.num_nodes() == 1);
  CHECK(g.node(0).name == "live");
  // The unused constant and the dead outputs are gone; x and the output stay, renumbered in old order.
  CHECK(g.num_values() == 2);
  CHECK(map.values[unused_weight] == kNoValue);
  CHECK(map.values[x] == 0);
  CHECK(map.values[live] == 1);
  CHECK(g.inputs() == std::vector<ValueId>{0});
  CHECK(g.outputs() == std::vector<ValueId>{1});
  CHECK(g.value(1).producer == 0);
  CHECK(Verify(g).ok());
}

TEST_CASE("erase refuses nodes whose outputs are still used") {
  test::TinyBertIds ids;
  Graph g = test::TinyBert(&ids);
  Rewriter rw(g);
  const NodeId gelu = g.value(ids.gelu).producer;
  CHECK(rw.EraseNode(gelu).message() ==
        "EraseNode: node '/bert/encoder/layer/0/intermediate/Gelu' (Gelu): output value %33 is still used by node "
        "'/bert/encoder/layer/0/output/dense/MatMul' (Linear)");
  CHECK(rw.EraseNode(g.value(ids.logits).producer).message() ==
        "EraseNode: node '/classifier/MatMul' (Linear): output value 'logits' is a graph output");
  CHECK(rw.EraseNode(999).message() == "EraseNode: node #999 (out of range)");
  CHECK(rw.EliminateDeadCode() == 0);
  CHECK(Verify(g).ok());
}

TEST_CASE("SetInput, SetAttribute and SetQuant keep types consistent") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {"batch", 8}));
  const ValueId w = AddWeight(b, "w", {4, 8}, 1);
  const ValueId bias = AddWeight(b, "b", {4}, 2);
  const ValueId wide_bias = AddWeight(b, "b8", {8}, 3);
  const ValueId y = Must(b.AddOp(OpType::kLinear, "fc", {x, w}));
  const ValueId s = Must(b.AddOp(OpType::kSoftmax, "sm", {y}));
  REQUIRE(b.MarkOutput(s, "out").ok());
  Graph g = Must(std::move(b).Build());
  Rewriter rw(g);

  REQUIRE(rw.SetInput(0, 2, bias).ok());  // add the optional bias
  CHECK(g.node(0).inputs == std::vector<ValueId>{x, w, bias});
  CHECK(rw.SetInput(0, 2, wide_bias).message() ==
        "SetInput: node 'fc' (Linear): input 2 'bias' (f32[8]) must have shape [4]");
  CHECK(g.node(0).inputs[2] == bias);         // restored
  REQUIRE(rw.SetInput(0, 2, kNoValue).ok());  // remove it again: trailing absent inputs are dropped
  CHECK(g.node(0).inputs.size() == 2);
  CHECK(rw.SetInput(0, 3, bias).message() == "SetInput: node 'fc' (Linear): Linear has no input 3");
  CHECK(rw.SetInput(0, 0, s).message() ==
        "SetInput: node 'fc' (Linear): value 'out' is computed from this node; using it as input 0 'x' would create a "
        "cycle");

  REQUIRE(rw.SetAttribute(1, AttrName::kAxis, int64_t{0}).ok());
  CHECK(*g.node(1).attributes.GetInt(AttrName::kAxis, "sm") == 0);
  CHECK(rw.SetAttribute(1, AttrName::kAxis, 1.5).message() ==
        "SetAttribute: node 'sm' (Softmax): attribute 'axis' is float, expected int");
  CHECK(rw.SetAttribute(1, AttrName::kAxis, int64_t{2}).message() ==
        "SetAttribute: node 'sm' (Softmax): attribute 'axis' = 2 is out of range for rank 2");
  CHECK(*g.node(1).attributes.GetInt(AttrName::kAxis, "sm") == 0);

  QuantAnnotation q;
  q.weight = WeightQuant{WeightBits::kTernary, WeightGranularity::kPerRow, 0};
  REQUIRE(rw.SetQuant(0, q).ok());
  CHECK(g.node(0).quant == q);
  CHECK(rw.SetQuant(1, q).message() == "SetQuant: node 'sm' (Softmax) has no weight input to annotate");
  CHECK(Verify(g).ok());
  REQUIRE(rw.SetQuant(0, std::nullopt).ok());
  CHECK_FALSE(g.node(0).quant.has_value());
}

TEST_CASE("constants: add and write back") {
  test::TinyBertIds ids;
  Graph g = test::TinyBert(&ids);
  Rewriter rw(g);
  const ValueId w = Must(g.FindValue("classifier.weight"));
  const uint64_t before = g.value(w).constant->ContentHash();
  REQUIRE(rw.SetConstant(w, Must(Tensor::FromVector<float>({2, 16}, std::vector<float>(32, 0.25f)))).ok());
  CHECK(g.value(w).constant->ContentHash() != before);
  CHECK(rw.SetConstant(w, Must(Tensor::FromVector<float>({16, 2}, std::vector<float>(32, 0.0f)))).message() ==
        "SetConstant: value 'classifier.weight' is f32[2, 16], the new tensor is f32[16, 2]");
  CHECK(rw.SetConstant(ids.input_ids, Must(Tensor::FromVector<float>({1}, {0.0f}))).message() ==
        "SetConstant: value 'input_ids' is not a constant");
  const ValueId extra = Must(rw.AddConstant("extra", Must(Tensor::FromVector<float>({1}, {1.0f}))));
  CHECK(extra == g.num_values() - 1);
  CHECK(g.value(extra).constant.has_value());
  CHECK(rw.AddConstant("extra", Must(Tensor::FromVector<float>({1}, {1.0f}))).status().message() ==
        "AddConstant: the graph already has a value named 'extra'");
  CHECK(Verify(g).ok());
  Must(rw.Compact());  // the unused constant is dropped
  CHECK_FALSE(g.FindValue("extra").ok());
}

TEST_CASE("Compact refuses a cyclic graph and changes nothing") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {4}));
  const ValueId a = Must(b.AddOp(OpType::kRelu, "a", {x}));
  const ValueId c = Must(b.AddOp(OpType::kTanh, "c", {a}));
  REQUIRE(b.MarkOutput(c, "out").ok());
  Graph g = Must(std::move(b).Build());
  g.mutable_node(0).inputs[0] = c;
  const std::string before = PrintGraph(g);
  Rewriter rw(g);
  auto compacted = rw.Compact();
  REQUIRE_FALSE(compacted.ok());
  CHECK(compacted.status().message() == "graph has a cycle: node 'a' (Relu) -> node 'c' (Tanh) -> node 'a' (Relu)");
  CHECK(PrintGraph(g) == before);
}
