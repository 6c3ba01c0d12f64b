#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/graph.h"
#include "ir/rewriter.h"
#include "ir/verifier.h"
#include "test_graphs.h"

using namespace qc::ir;
using qc::ir::test::AddWeight;
using qc::ir::test::Must;

TEST_CASE("a tiny BERT builds, verifies and has the expected structure") {
  test::TinyBertIds ids;
  const Graph g = test::TinyBert(&ids);
  CHECK(Verify(g).ok());
  CHECK(g.inputs() == std::vector<ValueId>{ids.input_ids, ids.attention_mask, ids.token_type_ids});
  CHECK(g.outputs() == std::vector<ValueId>{ids.logits});
  CHECK(g.value(ids.logits).name == "logits");
  CHECK(ToString(g.value(ids.logits).shape) == "[batch, 2]");
  CHECK(ToString(g.value(ids.gelu).shape) == "[batch, sequence, 32]");
  CHECK(g.num_nodes() == 21);

  // Every built node carries its defaulted attributes explicitly.
  const Node& gelu = g.node(g.value(ids.gelu).producer);
  CHECK(gelu.op == OpType::kGelu);
  CHECK(*gelu.attributes.GetGeluApproximation(AttrName::kApproximate, "gelu") == GeluApproximation::kNone);

  CHECK(Must(g.FindValue("input_ids")) == ids.input_ids);
  auto missing = g.FindValue("input_idz");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() == "graph has no value named 'input_idz'");
  CHECK_FALSE(g.FindValue("").ok());  // unnamed values are not found by the empty name

  // The mask feeds exactly the attention node.
  const std::vector<NodeId> mask_users = g.Consumers(ids.attention_mask);
  REQUIRE(mask_users.size() == 1);
  CHECK(g.node(mask_users[0]).op == OpType::kAttention);
  CHECK(g.DescribeNode(mask_users[0]) == "node '/bert/encoder/layer/0/attention/self/Attention' (Attention)");
  // The embedding LayerNorm output feeds q, k, v and the residual Add: 4 nodes, listed once each.
  CHECK(g.Consumers(ids.embeddings_ln).size() == 4);

  // Built front to back, the topological order is the id order.
  const std::vector<NodeId> order = Must(g.TopologicalOrder());
  REQUIRE(order.size() == g.num_nodes());
  for (size_t i = 0; i < order.size(); ++i) CHECK(order[i] == i);

  CHECK(std::get<int64_t>(g.metadata().at("tokenizer.lowercase")) == 1);
  CHECK(std::get<std::vector<std::string>>(g.metadata().at("tokenizer.vocab")).size() == 32);
}

TEST_CASE("a tiny ViT builds and verifies") {
  const Graph g = test::TinyVit();
  CHECK(Verify(g).ok());
  const ValueId logits = Must(g.FindValue("logits"));
  CHECK(ToString(g.value(logits).shape) == "[batch, 3]");
  const ValueId tokens = test::OutputOfNode(g, "/vit/embeddings/Concat");
  CHECK(ToString(g.value(tokens).shape) == "[batch, 5, 16]");
}

TEST_CASE("builder rejects bad calls and leaves the graph unchanged") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {"batch", 16}));
  const ValueId w = AddWeight(b, "w", {4, 16}, 1);
  const ValueId narrow = AddWeight(b, "narrow", {4, 8}, 2);
  const size_t values_before = b.graph().num_values();

  auto duplicate = b.AddInput("x", DType::kF32, {1});
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.status().message() == "graph input 'x': the graph already has a value with this name");
  CHECK(b.AddInput("", DType::kF32, {1}).status().message() == "graph input needs a non-empty name");
  CHECK(b.AddInput("y", DType::kF32, {-2}).status().message() == "graph input 'y': dimension 0 of [-2] is negative");
  CHECK_FALSE(b.AddConstant("w", Must(Tensor::FromVector<float>({1}, {1.0f}))).ok());

  auto bad_id = b.AddOp(OpType::kLinear, "fc", {x, 42});
  REQUIRE_FALSE(bad_id.ok());
  CHECK(bad_id.status().message() ==
        "node 'fc' (Linear): input 1 'weight' refers to value id 42, but the graph has 3 "
        "values");
  auto bad_shape = b.AddOp(OpType::kLinear, "fc", {x, narrow});
  REQUIRE_FALSE(bad_shape.ok());
  CHECK(bad_shape.status().message() ==
        "node 'fc' (Linear): input 1 'weight' (f32[4, 8]) dimension 1 must equal "
        "input 0 'x' (f32[batch, 16]) dimension 1");
  auto taken_name = b.AddOp(OpType::kLinear, "fc", {x, w}, {}, "x");
  REQUIRE_FALSE(taken_name.ok());
  CHECK(taken_name.status().message() ==
        "node 'fc' (Linear): output 0 'x': the graph already has a value with this name");
  auto unnamed_bad = b.AddOp(OpType::kSoftmax, "", {x}, {{AttrName::kAxis, int64_t{2}}});
  REQUIRE_FALSE(unnamed_bad.ok());
  CHECK(unnamed_bad.status().message() == "unnamed node (Softmax): attribute 'axis' = 2 is out of range for rank 2");
  CHECK(b.graph().num_values() == values_before);
  CHECK(b.graph().num_nodes() == 0);

  const ValueId y = Must(b.AddOp(OpType::kLinear, "fc", {x, w}, {}, "y"));
  CHECK(b.graph().value(y).name == "y");
  CHECK(b.graph().value(y).producer == 0);

  // Outputs: an unnamed value takes the name; a named value must keep its own; no value twice.
  const ValueId z = Must(b.AddOp(OpType::kRelu, "relu", {y}));
  CHECK(b.graph().value(z).name.empty());
  CHECK(b.MarkOutput(y, "other").message() ==
        "graph output 'other': value 'y' already has a different name; graph outputs are named by their value");
  CHECK(b.MarkOutput(z, "x").message() == "graph output 'x': the graph already has a value with this name");
  CHECK(b.MarkOutput(z, "out").ok());
  CHECK(b.graph().value(z).name == "out");
  CHECK(b.MarkOutput(z, "out").message() == "graph output 'out': value 'out' is already an output");
  CHECK(b.MarkOutput(99, "nope").message() == "graph output 'nope': no value with id 99");
  Graph g = Must(std::move(b).Build());
  CHECK(g.outputs() == std::vector<ValueId>{z});
}

TEST_CASE("Build runs the verifier") {
  GraphBuilder b;
  Must(b.AddInput("x", DType::kF32, {2}));
  auto built = std::move(b).Build();
  REQUIRE_FALSE(built.ok());
  CHECK(built.status().message() == "graph has no outputs");
}

TEST_CASE("topological order handles nodes appended out of order") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {4}));
  const ValueId a = Must(b.AddOp(OpType::kRelu, "a", {x}));
  const ValueId c = Must(b.AddOp(OpType::kTanh, "c", {a}));
  REQUIRE(b.MarkOutput(c, "out").ok());
  Graph g = Must(std::move(b).Build());
  // Insert a node (id 2) and feed it into node 1 (c): now 1 depends on 2.
  Rewriter rw(g);
  const ValueId mid = Must(rw.InsertOp(OpType::kRelu, "mid", {a}));
  REQUIRE(rw.SetInput(1, 0, mid).ok());
  CHECK(Must(g.TopologicalOrder()) == std::vector<NodeId>{0, 2, 1});
  CHECK(Verify(g).ok());
}
