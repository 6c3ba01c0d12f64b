// Pattern variants the fixtures do not contain, on hand-built graphs: LayerNorm (Reciprocal, duplicated Sub,
// Mul(d, d), axes as input, no affine), GELU (0.5 first, TF constant, Megatron tanh, native), Linear (Gemm transB=0
// with alpha/beta, weight naming), attention (Div scale, double-transposed K, (1-m)*-10000 mask), cleanup.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "ir/verifier.h"
#include "onnx_model_builder.h"
#include "test_support.h"

using qc::onnx_import::ImportOnnxModel;
using qc::test::OnnxModelBuilder;
using qc::test::OpCensus;
using B = qc::test::OnnxModelBuilder;

namespace {

qc::onnx_import::ImportResult MustImport(const onnx::ModelProto& m) {
  auto r = ImportOnnxModel(m, "");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  REQUIRE(qc::ir::Verify(r->graph).ok());
  return std::move(*r);
}

const qc::ir::Node& Only(const qc::ir::Graph& g, qc::ir::OpType op) {
  const qc::ir::Node* found = nullptr;
  for (const qc::ir::Node& n : g.nodes()) {
    if (n.op == op) {
      REQUIRE(found == nullptr);
      found = &n;
    }
  }
  REQUIRE(found != nullptr);
  return *found;
}

std::vector<float> Floats(const qc::ir::Graph& g, qc::ir::ValueId v) {
  REQUIRE(g.value(v).constant.has_value());
  return *g.value(v).constant->ToVector<float>();
}

std::vector<float> Iota(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t k = 0; k < n; ++k) v[k] = scale * static_cast<float>(k + 1);
  return v;
}

}  // namespace

TEST_CASE("LayerNorm: Reciprocal form, duplicated Sub, Mul(d, d), reversed operands") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{8}});
  b.Init("gamma", {8}, Iota(8, 0.5f));
  b.Init("beta", {1, 8}, Iota(8, -0.25f));
  b.Scalar("eps", 1e-6f);
  B::AttrInts(b.Node("ReduceMean", {"x"}, {"mean"}, "/ln/mean"), "axes", {-1});
  b.Node("Sub", {"x", "mean"}, {"d1"}, "/ln/sub1");
  b.Node("Sub", {"x", "mean"}, {"d2"}, "/ln/sub2");
  b.Node("Mul", {"d1", "d1"}, {"sq"}, "/ln/sq");
  B::AttrInts(b.Node("ReduceMean", {"sq"}, {"var"}, "/ln/var"), "axes", {1});
  b.Node("Add", {"var", "eps"}, {"ve"}, "/ln/add");
  b.Node("Sqrt", {"ve"}, {"s"}, "/ln/sqrt");
  b.Node("Reciprocal", {"s"}, {"r"}, "/ln/rec");
  b.Node("Mul", {"d2", "r"}, {"n"}, "/ln/norm");
  b.Node("Mul", {"gamma", "n"}, {"g"}, "/ln/gamma");
  b.Node("Add", {"beta", "g"}, {"y"}, "/ln/beta");
  b.Output("y");
  auto r = MustImport(b.model);
  CHECK(OpCensus(r.graph) == std::map<std::string, int>{{"LayerNorm", 1}});
  const qc::ir::Node& ln = Only(r.graph, qc::ir::OpType::kLayerNorm);
  CHECK(ln.name == "/ln");
  CHECK(*ln.attributes.GetFloat(qc::ir::AttrName::kEpsilon, "") == static_cast<double>(1e-6f));
  CHECK(Floats(r.graph, ln.inputs[1]) == Iota(8, 0.5f));
  CHECK(Floats(r.graph, ln.inputs[2]) == Iota(8, -0.25f));
  CHECK(r.graph.value(ln.inputs[2]).name == "beta");  // the [1, 8] view keeps the initializer's name
}

TEST_CASE("LayerNorm: opset-18 axes input and no affine part") {
  B b(18);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", "sequence", int64_t{4}});
  b.InitInt("axes", {1}, {-1});
  b.Scalar("two", 2.0f);
  b.Scalar("eps", 1e-5f);
  b.Node("ReduceMean", {"x", "axes"}, {"mean"}, "/ln/mean");
  b.Node("Sub", {"x", "mean"}, {"d"}, "/ln/sub");
  b.Node("Pow", {"d", "two"}, {"sq"}, "/ln/pow");
  b.Node("ReduceMean", {"sq", "axes"}, {"var"}, "/ln/var");
  b.Node("Add", {"var", "eps"}, {"ve"}, "/ln/add");
  b.Node("Sqrt", {"ve"}, {"s"}, "/ln/sqrt");
  b.Node("Div", {"d", "s"}, {"y"}, "/ln/div");
  b.Output("y");
  auto r = MustImport(b.model);
  const qc::ir::Node& ln = Only(r.graph, qc::ir::OpType::kLayerNorm);
  CHECK(Floats(r.graph, ln.inputs[1]) == std::vector<float>(4, 1.0f));
  CHECK(Floats(r.graph, ln.inputs[2]) == std::vector<float>(4, 0.0f));
  CHECK(r.graph.value(r.graph.outputs()[0]).name == "y");
}

TEST_CASE("LayerNorm: a mean over another axis is not a LayerNorm") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{8}});
  b.Scalar("eps", 1e-6f);
  B::AttrInts(b.Node("ReduceMean", {"x"}, {"mean"}, "/ln/mean"), "axes", {0});
  b.Node("Sub", {"x", "mean"}, {"y"}, "/ln/sub");
  b.Output("y");
  auto r = ImportOnnxModel(b.model, "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("node '/ln/mean' (ReduceMean") != std::string::npos);
}

TEST_CASE("GELU: 0.5 applied to x first, TF's 0.7071 multiplier") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{4}});
  b.Scalar("half", 0.5f);
  b.Scalar("inv_sqrt2", 0.70710677f);
  b.Scalar("one", 1.0f);
  b.Node("Mul", {"x", "half"}, {"h"}, "/act/half");
  b.Node("Mul", {"x", "inv_sqrt2"}, {"t"}, "/act/scale");
  b.Node("Erf", {"t"}, {"e"}, "/act/erf");
  b.Node("Add", {"one", "e"}, {"a"}, "/act/add");
  b.Node("Mul", {"h", "a"}, {"y"}, "/act/mul");
  b.Output("y");
  auto r = MustImport(b.model);
  CHECK(OpCensus(r.graph) == std::map<std::string, int>{{"Gelu", 1}});
  CHECK(*Only(r.graph, qc::ir::OpType::kGelu).attributes.GetGeluApproximation(qc::ir::AttrName::kApproximate, "") ==
        qc::ir::GeluApproximation::kNone);
}

TEST_CASE("GELU: the Megatron tanh form and the native opset-20 op") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{4}});
  b.Scalar("c1", 0.7978845608f);
  b.Scalar("c3", 0.044715f);
  b.Scalar("half", 0.5f);
  b.Scalar("one", 1.0f);
  b.Node("Mul", {"x", "c1"}, {"p"}, "/act/p");
  b.Node("Mul", {"x", "c3"}, {"q"}, "/act/q");
  b.Node("Mul", {"q", "x"}, {"q2"}, "/act/q2");
  b.Node("Add", {"one", "q2"}, {"inner"}, "/act/inner");
  b.Node("Mul", {"p", "inner"}, {"arg"}, "/act/arg");
  b.Node("Tanh", {"arg"}, {"th"}, "/act/tanh");
  b.Node("Add", {"th", "one"}, {"a"}, "/act/add");
  b.Node("Mul", {"x", "half"}, {"h"}, "/act/half");
  b.Node("Mul", {"h", "a"}, {"y"}, "/act/mul");
  b.Output("y");
  auto r = MustImport(b.model);
  CHECK(OpCensus(r.graph) == std::map<std::string, int>{{"Gelu", 1}});
  CHECK(*Only(r.graph, qc::ir::OpType::kGelu).attributes.GetGeluApproximation(qc::ir::AttrName::kApproximate, "") ==
        qc::ir::GeluApproximation::kTanh);

  B native(20);
  native.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{4}});
  B::AttrString(native.Node("Gelu", {"x"}, {"y"}, "/gelu"), "approximate", "tanh");
  native.Output("y");
  auto n = MustImport(native.model);
  CHECK(*Only(n.graph, qc::ir::OpType::kGelu).attributes.GetGeluApproximation(qc::ir::AttrName::kApproximate, "") ==
        qc::ir::GeluApproximation::kTanh);
}

TEST_CASE("Linear: Gemm with transB = 0, alpha and beta; MatMul weights named after their bias") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{2}});
  b.Init("W", {2, 3}, {1, 2, 3, 4, 5, 6});  // [K = 2, N = 3]
  b.Init("C", {3}, {10, 20, 30});
  auto& gemm = b.Node("Gemm", {"x", "W", "C"}, {"h"}, "/fc/Gemm");
  B::AttrFloat(gemm, "alpha", 2.0f);
  B::AttrFloat(gemm, "beta", 0.5f);
  b.Init("onnx::MatMul_7", {3, 2}, {1, 2, 3, 4, 5, 6});  // [K = 3, N = 2]
  b.Init("enc.dense.bias", {2}, {7, 8});
  b.Node("MatMul", {"h", "onnx::MatMul_7"}, {"m"}, "/enc/dense/MatMul");
  b.Node("Add", {"enc.dense.bias", "m"}, {"y"}, "/enc/dense/Add");
  b.Output("y");
  auto r = MustImport(b.model);
  CHECK(OpCensus(r.graph) == std::map<std::string, int>{{"Linear", 2}});
  for (const qc::ir::Node& n : r.graph.nodes()) {
    if (n.name == "/fc/Gemm") {
      CHECK(Floats(r.graph, n.inputs[1]) == std::vector<float>{2, 8, 4, 10, 6, 12});  // alpha * W^T, [3, 2]
      CHECK(Floats(r.graph, n.inputs[2]) == std::vector<float>{5, 10, 15});
    } else {
      CHECK(n.name == "/enc/dense");
      CHECK(r.graph.value(n.inputs[1]).name == "enc.dense.weight");
      CHECK(Floats(r.graph, n.inputs[1]) == std::vector<float>{1, 3, 5, 2, 4, 6});  // [N = 2, K = 3]
      CHECK(r.graph.value(n.inputs[2]).name == "enc.dense.bias");
    }
  }
}

TEST_CASE("attention: Div scale, K transposed twice, (1 - m) * -10000 mask") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", "sequence", int64_t{8}});
  b.Input("mask", onnx::TensorProto::INT64, {"batch", "sequence"});
  b.InitInt("split", {4}, {0, 0, 2, 4});
  b.InitInt("merge", {3}, {0, 0, 8});
  b.Scalar("two", 2.0f);
  b.Scalar("one", 1.0f);
  b.Scalar("big", -10000.0f);
  for (const char* p : {"q", "k", "v"}) {
    const std::string s = p;
    b.Init("W" + s, {8, 8}, Iota(64, 0.01f));
    b.Init(s + ".bias", {8}, Iota(8, 0.1f));
    b.Node("MatMul", {"x", "W" + s}, {s + "_mm"}, "/attn/" + s + "/MatMul");
    b.Node("Add", {s + "_mm", s + ".bias"}, {s + "_lin"}, "/attn/" + s + "/Add");
    b.Node("Reshape", {s + "_lin", "split"}, {s + "_split"}, "/attn/" + s + "/Reshape");
    B::AttrInts(b.Node("Transpose", {s + "_split"}, {s + "_h"}, "/attn/" + s + "/Transpose"), "perm", {0, 2, 1, 3});
  }
  B::AttrInts(b.Node("Transpose", {"k_h"}, {"k_t"}, "/attn/k/T2"), "perm", {0, 1, 3, 2});
  B::AttrInts(b.Node("Unsqueeze", {"mask"}, {"m1"}, "/mask/u1"), "axes", {1});
  B::AttrInts(b.Node("Unsqueeze", {"m1"}, {"m2"}, "/mask/u2"), "axes", {2});
  B::AttrInt(b.Node("Cast", {"m2"}, {"mf"}, "/mask/cast"), "to", onnx::TensorProto::FLOAT);
  b.Node("Sub", {"one", "mf"}, {"inv"}, "/mask/sub");
  b.Node("Mul", {"inv", "big"}, {"add_mask"}, "/mask/mul");
  b.Node("MatMul", {"q_h", "k_t"}, {"scores"}, "/attn/qk");
  b.Node("Div", {"scores", "two"}, {"scaled"}, "/attn/div");
  b.Node("Add", {"scaled", "add_mask"}, {"masked"}, "/attn/add");
  B::AttrInt(b.Node("Softmax", {"masked"}, {"probs"}, "/attn/softmax"), "axis", -1);
  b.Node("MatMul", {"probs", "v_h"}, {"ctx"}, "/attn/pv");
  B::AttrInts(b.Node("Transpose", {"ctx"}, {"ctx_t"}, "/attn/ctx_t"), "perm", {0, 2, 1, 3});
  b.Node("Reshape", {"ctx_t", "merge"}, {"y"}, "/attn/merge");
  b.Output("y");
  auto r = MustImport(b.model);
  CHECK(OpCensus(r.graph) == std::map<std::string, int>{{"Attention", 1}, {"Linear", 3}});
  const qc::ir::Node& attn = Only(r.graph, qc::ir::OpType::kAttention);
  CHECK(attn.name == "/attn");
  CHECK(*attn.attributes.GetInt(qc::ir::AttrName::kNumHeads, "") == 2);
  CHECK(*attn.attributes.GetFloat(qc::ir::AttrName::kScale, "") == 0.5);
  CHECK(*attn.attributes.GetFloat(qc::ir::AttrName::kMaskFill, "") == -10000.0);
  CHECK(r.graph.value(attn.inputs[3]).name == "mask");
  CHECK(r.report.num_heads == 2);
  CHECK(r.report.hidden_size == 8);

  // The same graph with the mask sign flipped adds +10000 to masked keys: not a padding mask, so it is refused.
  for (auto& n : *b.model.mutable_graph()->mutable_initializer()) {
    if (n.name() == "big") n.set_float_data(0, 10000.0f);
  }
  auto bad = ImportOnnxModel(b.model, "");
  REQUIRE_FALSE(bad.ok());
  const std::string msg = bad.status().message();
  INFO(msg);
  CHECK(msg.find("the additive mask is not understood") != std::string::npos);
}

TEST_CASE("cleanup: Identity, inference Dropout and no-op Cast disappear; the output keeps its name") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{4}});
  b.Scalar("ratio", 0.1f);
  b.Node("Identity", {"x"}, {"a"}, "/id");
  b.Node("Dropout", {"a", "ratio"}, {"b"}, "/drop");
  B::AttrInt(b.Node("Cast", {"b"}, {"c"}, "/cast"), "to", onnx::TensorProto::FLOAT);
  b.Node("Relu", {"c"}, {"d"}, "/relu");
  b.Node("Identity", {"d"}, {"y"}, "/out");
  b.Output("y");
  auto r = MustImport(b.model);
  CHECK(OpCensus(r.graph) == std::map<std::string, int>{{"Relu", 1}});
  CHECK(r.graph.value(r.graph.outputs()[0]).name == "y");
  CHECK(r.report.fusions.at("noop_removed") == 4);
}

TEST_CASE("Div by a constant becomes Mul by its reciprocal; Softmax keeps its axis") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{3}, int64_t{4}});
  b.Init("c", {4}, {1, 2, 4, 8});
  b.Node("Div", {"x", "c"}, {"d"}, "/div");
  B::AttrInt(b.Node("Softmax", {"d"}, {"y"}, "/softmax"), "axis", 1);
  b.Output("y");
  auto r = MustImport(b.model);
  const qc::ir::Node& mul = Only(r.graph, qc::ir::OpType::kMul);
  CHECK(Floats(r.graph, mul.inputs[1]) == std::vector<float>{1, 0.5f, 0.25f, 0.125f});
  CHECK(*Only(r.graph, qc::ir::OpType::kSoftmax).attributes.GetInt(qc::ir::AttrName::kAxis, "") == 1);
  CHECK_FALSE(r.report.notes.empty());

  B old(11);  // before opset 13, Softmax(axis = 1) of a rank-3 tensor flattens [1:] together
  old.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{3}, int64_t{4}});
  B::AttrInt(old.Node("Softmax", {"x"}, {"y"}, "/softmax"), "axis", 1);
  old.Output("y");
  auto rejected = ImportOnnxModel(old.model, "");
  REQUIRE_FALSE(rejected.ok());
  CHECK(rejected.status().message().find("Softmax: only a softmax over one axis") != std::string::npos);
}

TEST_CASE("dim_param renames apply to graph inputs") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch_size", "n", int64_t{4}, int64_t{-1}});
  b.Node("Relu", {"x"}, {"y"}, "/relu");
  b.Output("y");
  b.model.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(3)
      ->clear_dim_value();
  auto r = MustImport(b.model);
  CHECK(qc::ir::ToString(r.graph.value(r.graph.inputs()[0]).shape) == "[batch, n, 4, x_d3]");
  qc::onnx_import::ImportOptions keep;
  keep.symbol_renames.clear();
  auto kept = ImportOnnxModel(b.model, "", keep);
  REQUIRE(kept.ok());
  CHECK(qc::ir::ToString(kept->graph.value(kept->graph.inputs()[0]).shape) == "[batch_size, n, 4, x_d3]");
}

TEST_CASE("pooling: plain mean over the sequence and Div(x, Max(ReduceL2(x), eps))") {
  B b(18);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", "sequence", int64_t{8}});
  b.InitInt("seq_axis", {1}, {1});
  b.InitInt("last", {1}, {-1});
  b.Scalar("eps", 1e-6f);
  B::AttrInt(b.Node("ReduceMean", {"x", "seq_axis"}, {"pooled"}, "/pool"), "keepdims", 0);
  b.Node("ReduceL2", {"pooled", "last"}, {"norm"}, "/norm/l2");
  b.Node("Max", {"norm", "eps"}, {"clamped"}, "/norm/max");
  b.Node("Div", {"pooled", "clamped"}, {"y"}, "/norm/div");
  b.Output("y");
  auto r = MustImport(b.model);
  CHECK(OpCensus(r.graph) == std::map<std::string, int>{{"L2Normalize", 1}, {"MeanPool", 1}});
  const qc::ir::Node& l2 = Only(r.graph, qc::ir::OpType::kL2Normalize);
  CHECK(l2.name == "/norm");
  CHECK(*l2.attributes.GetFloat(qc::ir::AttrName::kEpsilon, "") == static_cast<double>(1e-6f));
  CHECK(*l2.attributes.GetInt(qc::ir::AttrName::kAxis, "") == -1);
  CHECK(r.report.fusions.at("mean_pool") == 1);
}

TEST_CASE("attention: SDPA's computed sqrt(scale) on q and k, a boolean -inf mask and the NaN guard") {
  B b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", "sequence", int64_t{8}});
  b.Input("mask", onnx::TensorProto::INT64, {"batch", "sequence"});
  b.InitInt("split", {4}, {0, 0, 2, 4});
  b.InitInt("merge", {3}, {0, 0, 8});
  b.InitInt("minus1", {1}, {-1});
  b.InitInt("end", {1}, {std::numeric_limits<int64_t>::max()});
  b.InitInt("a1", {1}, {1});
  b.InitInt("a2", {1}, {2});
  b.Scalar("one", 1.0f);
  b.Scalar("zero", 0.0f);
  b.Scalar("neg_inf", -std::numeric_limits<float>::infinity());
  for (const char* p : {"q", "k", "v"}) {
    const std::string s = p;
    b.Init("W" + s, {8, 8}, Iota(64, -0.01f));
    b.Node("MatMul", {"x", "W" + s}, {s + "_lin"}, "/sdpa/" + s + "/MatMul");
    b.Node("Reshape", {s + "_lin", "split"}, {s + "_split"}, "/sdpa/" + s + "/Reshape");
    B::AttrInts(b.Node("Transpose", {s + "_split"}, {s + "_h"}, "/sdpa/" + s + "/Transpose"), "perm", {0, 2, 1, 3});
  }
  // scale = 1 / sqrt(head_dim) from the runtime shape, split as sqrt(scale) on q and on k^T.
  b.Node("Shape", {"q_h"}, {"q_shape"}, "/sdpa/Shape");
  b.Node("Slice", {"q_shape", "minus1", "end"}, {"d"}, "/sdpa/Slice");
  B::AttrInt(b.Node("Cast", {"d"}, {"d_f"}, "/sdpa/Cast"), "to", onnx::TensorProto::FLOAT);
  b.Node("Sqrt", {"d_f"}, {"sqrt_d"}, "/sdpa/Sqrt");
  b.Node("Div", {"one", "sqrt_d"}, {"scale"}, "/sdpa/Div");
  b.Node("Sqrt", {"scale"}, {"sqrt_scale"}, "/sdpa/Sqrt_1");
  B::AttrInts(b.Node("Transpose", {"k_h"}, {"k_t"}, "/sdpa/k/T2"), "perm", {0, 1, 3, 2});
  b.Node("Mul", {"q_h", "sqrt_scale"}, {"q_s"}, "/sdpa/Mul");
  b.Node("Mul", {"k_t", "sqrt_scale"}, {"k_s"}, "/sdpa/Mul_1");
  B::AttrInt(b.Node("Cast", {"mask"}, {"mb"}, "/mask/cast"), "to", onnx::TensorProto::BOOL);
  b.Node("Unsqueeze", {"mb", "a1"}, {"m1"}, "/mask/u1");
  b.Node("Unsqueeze", {"m1", "a2"}, {"m2"}, "/mask/u2");
  b.Node("Where", {"m2", "zero", "neg_inf"}, {"add_mask"}, "/mask/where");
  b.Node("MatMul", {"q_s", "k_s"}, {"scores"}, "/sdpa/qk");
  b.Node("Add", {"scores", "add_mask"}, {"masked"}, "/sdpa/add");
  B::AttrInt(b.Node("Softmax", {"masked"}, {"probs"}, "/sdpa/softmax"), "axis", -1);
  b.Node("IsNaN", {"probs"}, {"nan"}, "/sdpa/isnan");
  b.Node("Where", {"nan", "zero", "probs"}, {"guarded"}, "/sdpa/guard");
  b.Node("MatMul", {"guarded", "v_h"}, {"ctx"}, "/sdpa/pv");
  B::AttrInts(b.Node("Transpose", {"ctx"}, {"ctx_t"}, "/sdpa/ctx_t"), "perm", {0, 2, 1, 3});
  b.Node("Reshape", {"ctx_t", "merge"}, {"y"}, "/sdpa/merge");
  b.Output("y");
  auto r = MustImport(b.model);
  CHECK(OpCensus(r.graph) == std::map<std::string, int>{{"Attention", 1}, {"Linear", 3}});
  const qc::ir::Node& attn = Only(r.graph, qc::ir::OpType::kAttention);
  CHECK(*attn.attributes.GetFloat(qc::ir::AttrName::kScale, "") == doctest::Approx(0.5).epsilon(1e-7));
  CHECK(*attn.attributes.GetFloat(qc::ir::AttrName::kMaskFill, "") ==
        static_cast<double>(std::numeric_limits<float>::lowest()));
  CHECK(r.graph.value(attn.inputs[3]).name == "mask");
}
