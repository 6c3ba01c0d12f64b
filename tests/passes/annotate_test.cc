// quantize_annotate decisions: defaults (TernaryBERT), overrides by name / regex / op, keep-float lists, and the
// errors that name an override or entry matching nothing.
#include <doctest/doctest.h>

#include "ir/printer.h"
#include "pass_test_util.h"
#include "passes/quantize_annotate.h"

using namespace qc;
using namespace qc::passes;
using namespace qc::passes::test;

namespace {

const ir::Node& NodeNamed(const ir::Graph& g, const std::string& name) {
  for (const ir::Node& n : g.nodes()) {
    if (!n.erased && n.name == name) return n;
  }
  FAIL("no node " << name);
  return g.node(0);
}

ir::Graph Annotate(const QuantConfig& config) {
  ir::Graph g = ir::test::TinyBert();
  PassContext context;
  auto pass = MakeQuantizeAnnotatePass(config);
  RunPassOk(*pass, g, context);
  return g;
}

Status AnnotateError(const QuantConfig& config, ir::Graph* graph) {
  *graph = ir::test::TinyBert();
  PassContext context;
  auto pass = MakeQuantizeAnnotatePass(config);
  Expected<bool> r = pass->Run(*graph, context);
  REQUIRE_FALSE(r.ok());
  return r.status();
}

const char* kQuery = "/bert/encoder/layer/0/attention/self/query/MatMul";
const char* kFfnOut = "/bert/encoder/layer/0/output/dense/MatMul";
const char* kClassifier = "/classifier/MatMul";
const char* kWordEmb = "/bert/embeddings/word_embeddings/Gather";
const char* kTypeEmb = "/bert/embeddings/token_type_embeddings/Gather";
const char* kAttention = "/bert/encoder/layer/0/attention/self/Attention";

}  // namespace

TEST_CASE("defaults: Linears ternary per tensor with per-token int8 inputs; word embedding row-wise; head float") {
  const ir::Graph g = Annotate(Must(DefaultQuantConfig(2)));
  REQUIRE(NodeNamed(g, kQuery).quant.has_value());
  CHECK(ir::ToString(*NodeNamed(g, kQuery).quant) == "w=t2/per_tensor a=i8/dynamic_per_token");
  CHECK_FALSE(NodeNamed(g, kClassifier).quant.has_value());
  REQUIRE(NodeNamed(g, kWordEmb).quant.has_value());
  CHECK(ir::ToString(*NodeNamed(g, kWordEmb).quant) == "w=t2/per_row");
  CHECK_FALSE(NodeNamed(g, kTypeEmb).quant.has_value());
  REQUIRE(NodeNamed(g, kAttention).quant.has_value());
  CHECK(ir::ToString(*NodeNamed(g, kAttention).quant) == "a=i8/dynamic_per_token");
}

TEST_CASE("int8 and int4 default to per-row weight scales") {
  CHECK(ir::ToString(*Annotate(Must(DefaultQuantConfig(8))).nodes()[0].quant) == "w=i8/per_row");
  const ir::Graph g = Annotate(Must(DefaultQuantConfig(4)));
  CHECK(ir::ToString(*NodeNamed(g, kQuery).quant) == "w=i4/per_row a=i8/dynamic_per_token");
  CHECK_FALSE(DefaultQuantConfig(3).ok());
}

TEST_CASE("overrides apply in order; keep_float wins") {
  QuantConfig c = Must(DefaultQuantConfig(2));
  c.overrides.push_back(Override(OverrideMatch::kRegex, ".*/output/dense/.*", ir::WeightBits::kInt8));
  c.overrides.push_back(Override(OverrideMatch::kOp, "Embedding", std::nullopt, /*keep_float=*/true));
  c.overrides.push_back(Override(OverrideMatch::kName, kQuery, std::nullopt, false, ir::ActivationMode::kDynamicPerTensor,
                         2.5));
  c.keep_float = {"/bert/pooler/dense/MatMul"};
  c.keep_classifier_float = false;
  c.act_clip = 4.0;
  const ir::Graph g = Annotate(c);
  CHECK(ir::ToString(*NodeNamed(g, kFfnOut).quant) == "w=i8/per_row a=i8/dynamic_per_token/clip=4.0");
  CHECK(ir::ToString(*NodeNamed(g, kQuery).quant) == "w=t2/per_tensor a=i8/dynamic_per_tensor/clip=2.5");
  CHECK_FALSE(NodeNamed(g, kWordEmb).quant.has_value());
  CHECK_FALSE(NodeNamed(g, "/bert/pooler/dense/MatMul").quant.has_value());
  CHECK(NodeNamed(g, kClassifier).quant.has_value());
}

TEST_CASE("an override or keep_float entry that matches nothing is an error naming it; nothing is annotated") {
  ir::Graph g;
  QuantConfig c = Must(DefaultQuantConfig(2));
  c.overrides.push_back(Override(OverrideMatch::kRegex, ".*/query/.*", ir::WeightBits::kInt8));
  c.overrides.push_back(Override(OverrideMatch::kName, "/bert/encoder/layer/9/output/dense/MatMul", ir::WeightBits::kInt8));
  Status s = AnnotateError(c, &g);
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK(s.message().find("override #1 (name '/bert/encoder/layer/9/output/dense/MatMul')") != std::string::npos);
  for (const ir::Node& n : g.nodes()) CHECK_FALSE(n.quant.has_value());

  c = Must(DefaultQuantConfig(2));
  c.keep_float = {"/classifier"};
  s = AnnotateError(c, &g);
  CHECK(s.message().find("keep_float entry '/classifier'") != std::string::npos);

  c = Must(DefaultQuantConfig(2));
  c.overrides.push_back(Override(OverrideMatch::kOp, "LayerNorm", ir::WeightBits::kInt8));
  s = AnnotateError(c, &g);
  CHECK(s.message().find("op must be Linear, Embedding or Attention") != std::string::npos);

  c = Must(DefaultQuantConfig(2));
  c.overrides.push_back(Override(OverrideMatch::kRegex, "(", ir::WeightBits::kInt8));
  s = AnnotateError(c, &g);
  CHECK(s.message().find("invalid regular expression") != std::string::npos);
}

TEST_CASE("Attention gets int8 activations only (with the clip); quantize_attention = false keeps it float") {
  QuantConfig c = Must(DefaultQuantConfig(2));
  c.act_clip = 2.5;
  c.act_mode = ir::ActivationMode::kStatic;  // QAttention scales are always per (token, head) row
  ir::Graph g = Annotate(c);
  REQUIRE(NodeNamed(g, kAttention).quant.has_value());
  CHECK(ir::ToString(*NodeNamed(g, kAttention).quant) == "a=i8/dynamic_per_token/clip=2.5");
  c.quantize_attention = false;
  g = Annotate(c);
  CHECK_FALSE(NodeNamed(g, kAttention).quant.has_value());
  c.quantize_attention = true;
  c.overrides.push_back(Override(OverrideMatch::kOp, "Attention", std::nullopt, /*keep_float=*/true));
  g = Annotate(c);
  CHECK_FALSE(NodeNamed(g, kAttention).quant.has_value());
}

TEST_CASE("act_groups: every quantized Linear's input gets the groups, the Attention keeps one scale") {
  QuantConfig c = Must(DefaultQuantConfig(2));
  c.act_groups = 2;
  const ir::Graph g = Annotate(c);
  CHECK(ir::ToString(*NodeNamed(g, kQuery).quant) == "w=t2/per_tensor a=i8/dynamic_per_token/groups=2");
  CHECK(ir::ToString(*NodeNamed(g, kFfnOut).quant) == "w=t2/per_tensor a=i8/dynamic_per_token/groups=2");
  CHECK(ir::ToString(*NodeNamed(g, kAttention).quant) == "a=i8/dynamic_per_token");
  CHECK_FALSE(NodeNamed(g, kClassifier).quant.has_value());

  ir::Graph refused;
  c.act_groups = 3;  // TinyBert's hidden size 16 does not split into 3
  const Status not_dividing = AnnotateError(c, &refused);
  CHECK(not_dividing.message().find("(Linear): in_features 16 is not a multiple of act_groups 3") != std::string::npos);
  CHECK(not_dividing.code() == StatusCode::kFailedPrecondition);  // the config does not fit: qcompress exits 2
  CHECK_FALSE(NodeNamed(refused, kQuery).quant.has_value());  // nothing annotated
  c.act_groups = 2;
  c.act_mode = ir::ActivationMode::kStatic;
  CHECK(AnnotateError(c, &refused).message().find("act_groups 2 needs dynamic activation scales") !=
        std::string::npos);
  c.act_mode = ir::ActivationMode::kDynamicPerTensor;
  c.act_groups = 65;
  CHECK(AnnotateError(c, &refused).message().find("act_groups must be in [1, 64], got 65") != std::string::npos);
}

TEST_CASE("PlanQuantization: the pass's decisions and summary rows, the graph untouched; errors before any write") {
  QuantConfig c = Must(DefaultQuantConfig(2));
  const ir::Graph float_graph = ir::test::TinyBert();
  const std::string before = ir::PrintGraph(float_graph);
  const std::vector<QuantDecision> plan = Must(PlanQuantization(float_graph, c));
  CHECK(ir::PrintGraph(float_graph) == before);

  ir::Graph annotated = ir::test::TinyBert();
  PassContext context;
  auto pass = MakeQuantizeAnnotatePass(c);
  RunPassOk(*pass, annotated, context);
  size_t rows = 0, quantized = 0;
  for (const QuantDecision& d : plan) {
    CHECK(annotated.node(d.node).quant == d.annotation);  // what the plan says is what the pass wrote
    if (d.annotation) ++quantized;
    if (!d.row) continue;
    REQUIRE(rows < context.layers.size());
    CHECK(context.layers[rows].name == d.row->name);
    CHECK(context.layers[rows].format == d.row->format);
    ++rows;
  }
  CHECK(rows == context.layers.size());
  CHECK(quantized > 0);

  c.overrides.push_back(Override(OverrideMatch::kName, "no/such/node", ir::WeightBits::kInt8, false));
  CHECK(PlanQuantization(float_graph, c).status().code() == StatusCode::kNotFound);
  c.overrides.clear();
  c.act_groups = 3;
  CHECK(PlanQuantization(float_graph, c).status().code() == StatusCode::kFailedPrecondition);
}
