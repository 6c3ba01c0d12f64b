// The machinery under the patterns: symbolic dims, symbolic shape tensors, the import-time evaluator and the probes
// that classify masks and index tensors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "importers/onnx/analyze.h"
#include "importers/onnx/eval.h"
#include "importers/onnx/probe.h"
#include "importers/onnx/sym_expr.h"
#include "onnx_model_builder.h"

using namespace qc::onnx_import;
using B = qc::test::OnnxModelBuilder;

namespace {

WGraph Analyzed(const onnx::ModelProto& m) {
  auto g = BuildWorkGraph(std::make_shared<const onnx::ModelProto>(m), "", "test.onnx", {});
  REQUIRE_MESSAGE(g.ok(), g.status().ToString());
  AnalyzeGraph(*g);
  return std::move(*g);
}

int ValueNamed(const WGraph& g, const std::string& name) {
  for (size_t k = 0; k < g.values.size(); ++k) {
    if (g.values[k].name == name) return static_cast<int>(k);
  }
  FAIL("no value " << name);
  return -1;
}

// The first node of `m` as the evaluator sees it (attributes point into `m`).
WNode NodeOf(const onnx::ModelProto& m) {
  const onnx::NodeProto& p = m.graph().node(0);
  WNode n;
  n.op_type = p.op_type();
  n.outputs.assign(static_cast<size_t>(p.output_size()), -1);
  for (const auto& a : p.attribute()) n.attrs[a.name()] = &a;
  return n;
}

// Runs the first node of `m` on concrete inputs.
std::vector<HostTensor> Eval(const onnx::ModelProto& m, const std::vector<const HostTensor*>& inputs) {
  auto out = EvalNode(NodeOf(m), 14, inputs);
  REQUIRE_MESSAGE(out.ok(), out.status().ToString());
  return *out;
}

HostTensor I64(std::vector<int64_t> dims, std::vector<int64_t> v) {
  return HostTensor::Ints(onnx::TensorProto::INT64, std::move(dims), std::move(v));
}

}  // namespace

TEST_CASE("SymExpr: exact arithmetic over symbols") {
  const SymExpr b = SymExpr::Symbol("batch"), s = SymExpr::Symbol("sequence");
  const SymExpr n = b * s * SymExpr(64);
  CHECK(n.ToString() == "64*batch*sequence");
  CHECK(n.DivExact(b * s * SymExpr(16)) == SymExpr(4));
  CHECK_FALSE(n.DivExact(SymExpr(48)).has_value());
  CHECK((s + SymExpr(1)).ToString() == "sequence+1");
  CHECK((SymExpr(2) * b - SymExpr(3)).ToString() == "2*batch-3");
  CHECK((s - s).IsConstant());
  CHECK(n.Evaluate({{"batch", 2}, {"sequence", 5}}) == 640);
  CHECK_FALSE(n.Evaluate({{"batch", 2}}).has_value());
  CHECK(s.AsSymbol() == std::string("sequence"));
  CHECK_FALSE((s * s).AsSymbol().has_value());
  CHECK(ToString(SymShape{b, std::nullopt, SymExpr(3)}) == "[batch, ?, 3]");
}

TEST_CASE("analysis folds reshape targets computed from Shape into symbolic elements") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", "sequence", int64_t{64}});
  b.InitInt("i0", {}, {0});
  b.InitInt("i1", {}, {1});
  b.InitInt("ax", {1}, {0});
  b.InitInt("tail", {2}, {-1, 16});
  b.Node("Shape", {"x"}, {"shape"});
  b.Node("Gather", {"shape", "i0"}, {"b"});
  b.Node("Gather", {"shape", "i1"}, {"s"});
  b.Node("Unsqueeze", {"b", "ax"}, {"bu"});
  b.Node("Unsqueeze", {"s", "ax"}, {"su"});
  B::AttrInt(b.Node("Concat", {"bu", "su", "tail"}, {"target"}), "axis", 0);
  b.Node("Reshape", {"x", "target"}, {"y"});
  B::AttrInts(b.Node("Transpose", {"y"}, {"t"}), "perm", {0, 2, 1, 3});
  b.Node("Shape", {"t"}, {"tshape"});  // all static except batch/sequence
  b.Output("t");
  WGraph g = Analyzed(b.model);
  const WValue& target = g.values[static_cast<size_t>(ValueNamed(g, "target"))];
  REQUIRE(target.sym.has_value());
  CHECK(ToString(SymShape(target.sym->begin(), target.sym->end())) == "[batch, sequence, -1, 16]");
  CHECK(ToString(*g.values[static_cast<size_t>(ValueNamed(g, "y"))].shape) == "[batch, sequence, 4, 16]");
  CHECK(ToString(*g.values[static_cast<size_t>(ValueNamed(g, "t"))].shape) == "[batch, 4, sequence, 16]");
}

TEST_CASE("analysis folds constant subgraphs and static Shapes to constants") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {int64_t{2}, int64_t{3}});
  b.Scalar("four", 4.0f);
  b.Node("Sqrt", {"four"}, {"two"});
  b.Node("Reciprocal", {"two"}, {"half"});
  b.Node("Shape", {"x"}, {"shape"});
  b.Output("half");
  WGraph g = Analyzed(b.model);
  CHECK(ConstScalar(g, ValueNamed(g, "half")) == 0.5);
  CHECK(ConstInts(g, ValueNamed(g, "shape")) == std::vector<int64_t>{2, 3});
}

TEST_CASE("evaluator: Slice clamping, negative steps and Gather with negative indices") {
  B s(14);
  s.Node("Slice", {"x", "starts", "ends", "axes", "steps"}, {"y"});
  const HostTensor x = I64({6}, {0, 1, 2, 3, 4, 5});
  const HostTensor big = I64({1}, {std::numeric_limits<int64_t>::max()});
  const HostTensor axes = I64({1}, {0});
  const HostTensor one = I64({1}, {1});
  auto start_end = [&](int64_t a, int64_t e, int64_t step) {
    HostTensor st = I64({1}, {a}), en = I64({1}, {e}), sp = I64({1}, {step});
    return Eval(s.model, {&x, &st, &en, &axes, &sp})[0].i;
  };
  CHECK(Eval(s.model, {&x, &one, &big, &axes, nullptr})[0].i == std::vector<int64_t>{1, 2, 3, 4, 5});
  CHECK(start_end(-2, 100, 1) == std::vector<int64_t>{4, 5});
  CHECK(start_end(-1, std::numeric_limits<int64_t>::min(), -1) == std::vector<int64_t>{5, 4, 3, 2, 1, 0});
  CHECK(start_end(10, 0, -2) == std::vector<int64_t>{5, 3, 1});
  CHECK(start_end(4, 2, 1).empty());

  B g(14);
  g.Node("Gather", {"data", "idx"}, {"y"});
  const HostTensor data = I64({3, 2}, {10, 11, 20, 21, 30, 31});
  const HostTensor idx = I64({2}, {-1, 0});
  const HostTensor out = Eval(g.model, {&data, &idx})[0];
  CHECK(out.dims == std::vector<int64_t>{2, 2});
  CHECK(out.i == std::vector<int64_t>{30, 31, 10, 11});
  const HostTensor bad = I64({1}, {3});
  CHECK_FALSE(EvalNode(NodeOf(g.model), 14, {&data, &bad}).ok());
}

TEST_CASE("evaluator: Where broadcasting, GatherND, CumSum, Range, Cast") {
  B w(14);
  w.Node("Where", {"c", "a", "b"}, {"y"});
  const HostTensor c = HostTensor::Ints(onnx::TensorProto::BOOL, {2, 1}, {1, 0});
  const HostTensor a = HostTensor::Floats(onnx::TensorProto::FLOAT, {}, {0.0});
  const HostTensor bb = HostTensor::Floats(onnx::TensorProto::FLOAT, {1, 3}, {-1, -2, -3});
  const HostTensor y = Eval(w.model, {&c, &a, &bb})[0];
  CHECK(y.dims == std::vector<int64_t>{2, 3});
  CHECK(y.f == std::vector<double>{0, 0, 0, -1, -2, -3});

  B nd(14);
  nd.Node("GatherND", {"d", "i"}, {"y"});
  const HostTensor d = I64({2, 2}, {1, 2, 3, 4});
  const HostTensor i = I64({2, 2}, {1, 0, 0, 1});
  CHECK(Eval(nd.model, {&d, &i})[0].i == std::vector<int64_t>{3, 2});

  B cs(14);
  auto& node = cs.Node("CumSum", {"x", "axis"}, {"y"});
  B::AttrInt(node, "exclusive", 1);
  B::AttrInt(node, "reverse", 1);
  const HostTensor x = I64({4}, {1, 2, 3, 4});
  const HostTensor axis = I64({}, {0});
  CHECK(Eval(cs.model, {&x, &axis})[0].i == std::vector<int64_t>{9, 7, 4, 0});

  B r(14);
  r.Node("Range", {"s", "l", "d"}, {"y"});
  const HostTensor s0 = I64({}, {2}), l0 = I64({}, {7}), d0 = I64({}, {2});
  CHECK(Eval(r.model, {&s0, &l0, &d0})[0].i == std::vector<int64_t>{2, 4, 6});

  B cast(14);
  B::AttrInt(cast.Node("Cast", {"x"}, {"y"}), "to", onnx::TensorProto::FLOAT);
  const HostTensor third = HostTensor::Floats(onnx::TensorProto::DOUBLE, {1}, {1.0 / 3.0});
  CHECK(Eval(cast.model, {&third})[0].f[0] == static_cast<double>(1.0f / 3.0f));  // rounded to float32
}

TEST_CASE("probes classify additive masks by what they compute") {
  // HF 4.x eager: (1 - m[:, None, None, :]) * min, and an inverted variant that is not a padding mask.
  B b(14);
  b.Input("m", onnx::TensorProto::INT64, {"batch", "sequence"});
  b.InitInt("a1", {1}, {1});
  b.InitInt("a2", {1}, {2});
  b.Scalar("one", 1.0f);
  b.Scalar("min", std::numeric_limits<float>::lowest());
  b.Node("Unsqueeze", {"m", "a1"}, {"u1"});
  b.Node("Unsqueeze", {"u1", "a2"}, {"u2"});
  B::AttrInt(b.Node("Cast", {"u2"}, {"f"}), "to", onnx::TensorProto::FLOAT);
  b.Node("Sub", {"one", "f"}, {"inv"});
  b.Node("Mul", {"inv", "min"}, {"mask"});
  b.Node("Mul", {"f", "min"}, {"inverted"});
  b.Output("mask");
  b.Output("inverted");
  WGraph g = Analyzed(b.model);
  std::string why;
  auto mask = ClassifyAdditiveMask(g, ValueNamed(g, "mask"), &why);
  REQUIRE_MESSAGE(mask.has_value(), why);
  CHECK(mask->input == ValueNamed(g, "m"));
  CHECK(mask->fill == static_cast<double>(std::numeric_limits<float>::lowest()));
  CHECK_FALSE(ClassifyAdditiveMask(g, ValueNamed(g, "inverted"), &why).has_value());
  CHECK(why.find("attended position") != std::string::npos);
}

TEST_CASE("probes classify position ids and constant token types") {
  B b(14);
  b.Input("ids", onnx::TensorProto::INT64, {"batch", "sequence"});
  b.InitInt("i1", {}, {1});
  b.InitInt("zero", {}, {0});
  b.InitInt("two", {}, {2});
  b.InitInt("step", {}, {1});
  b.InitInt("ax", {1}, {0});
  b.Node("Shape", {"ids"}, {"shape"});
  b.Node("Gather", {"shape", "i1"}, {"s"});
  b.Node("Range", {"zero", "s", "step"}, {"r"});
  b.Node("Unsqueeze", {"r", "ax"}, {"positions"});
  b.Node("Add", {"s", "two"}, {"s2"});
  b.Node("Range", {"two", "s2", "step"}, {"shifted"});
  b.Node("ConstantOfShape", {"shape"}, {"zeros_f"});
  B::AttrInt(b.Node("Cast", {"zeros_f"}, {"zeros"}), "to", onnx::TensorProto::INT64);
  b.Node("Mul", {"ids", "two"}, {"data_dependent"});
  for (const char* o : {"positions", "shifted", "zeros", "data_dependent"}) b.Output(o, onnx::TensorProto::INT64);
  WGraph g = Analyzed(b.model);
  std::string why;
  auto pos = ClassifyIndexValue(g, ValueNamed(g, "positions"), &why);
  REQUIRE_MESSAGE(pos.has_value(), why);
  CHECK(pos->arange);
  CHECK(pos->offset == 0);
  auto shifted = ClassifyIndexValue(g, ValueNamed(g, "shifted"), &why);
  REQUIRE(shifted.has_value());
  CHECK(shifted->offset == 2);
  auto zeros = ClassifyIndexValue(g, ValueNamed(g, "zeros"), &why);
  REQUIRE(zeros.has_value());
  CHECK(zeros->constant);
  CHECK(zeros->fill == 0);
  CHECK_FALSE(ClassifyIndexValue(g, ValueNamed(g, "data_dependent"), &why).has_value());
}
