// Failure reports: every unconvertible node at once with name, op type, domain, opset and producer; opset range;
// re-export hints; the num_heads option; malformed graphs.
#include <doctest/doctest.h>

#include "importers/onnx/model_file.h"
#include "onnx_model_builder.h"
#include "test_support.h"

using qc::onnx_import::ImportOnnxModel;
using qc::onnx_import::ImportOptions;

namespace {

onnx::ModelProto LoadFixture(const std::string& dir) {
  auto model = qc::onnx_import::ReadModelFile(qc::test::FixturePath(dir).string());
  REQUIRE(model.ok());
  return *model;
}

onnx::NodeProto* FindNode(onnx::ModelProto& m, const std::string& name) {
  for (auto& n : *m.mutable_graph()->mutable_node()) {
    if (n.name() == name) return &n;
  }
  FAIL("no node " << name);
  return nullptr;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("unknown and custom-domain ops are all reported at once") {
  onnx::ModelProto m = LoadFixture("onnx/bert_opset14_sdpa");
  FindNode(m, "/bert/pooler/activation/Tanh")->set_op_type("FancyTanh");
  onnx::NodeProto* gemm = FindNode(m, "/classifier/Gemm");
  gemm->set_op_type("CustomGemm");
  gemm->set_domain("com.acme");
  auto* op = m.add_opset_import();
  op->set_domain("com.acme");
  op->set_version(3);
  auto r = ImportOnnxModel(m, "", {}, "edited.onnx");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == qc::StatusCode::kUnsupported);
  const std::string msg = r.status().message();
  INFO(msg);
  CHECK(Contains(msg, "edited.onnx"));
  CHECK(Contains(msg, "producer 'pytorch 2.15.0'"));
  CHECK(Contains(msg, "ai.onnx opset 14"));
  CHECK(Contains(msg, "2 node(s) could not be converted"));
  CHECK(Contains(msg, "com.acme::CustomGemm x1"));
  CHECK(Contains(msg, "FancyTanh x1"));
  CHECK(Contains(msg, "node '/bert/pooler/activation/Tanh' (FancyTanh, ai.onnx opset 14)"));
  CHECK(Contains(msg, "node '/classifier/Gemm' (CustomGemm, com.acme opset 3): custom domain 'com.acme'"));
}

TEST_CASE("a pattern that gives up says why") {
  onnx::ModelProto m = LoadFixture("onnx/bert_opset11_eager");
  // Break the first GELU: erf(x / 2) is not GELU.
  for (auto& n : *m.mutable_graph()->mutable_node()) {
    if (n.name() == "/bert/encoder/layer.0/intermediate/intermediate_act_fn/Constant") {
      n.mutable_attribute(0)->mutable_t()->set_raw_data(std::string("\0\0\0\x40", 4));  // 2.0f
    }
  }
  auto r = ImportOnnxModel(m, "", {}, "gelu.onnx");
  REQUIRE_FALSE(r.ok());
  const std::string msg = r.status().message();
  INFO(msg);
  // Div, Add and Mul around it map to IR ops one by one; the Erf cannot, and is the one node reported.
  CHECK(Contains(msg, "1 node(s) could not be converted to the IR [Erf x1]"));
  CHECK(Contains(msg,
                 "node '/bert/encoder/layer.0/intermediate/intermediate_act_fn/Erf' (Erf, ai.onnx opset 11): "
                 "Erf: its argument is not x / sqrt(2)"));
  CHECK_FALSE(Contains(msg, "layer.1/intermediate"));
}

TEST_CASE("opsets outside 11-20 are rejected with the producer") {
  for (int64_t opset : {9, 21}) {
    qc::test::OnnxModelBuilder b(opset, "exporter", "9.9");
    b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{4}});
    b.Node("Relu", {"x"}, {"y"}, "/relu");
    b.Output("y");
    auto r = ImportOnnxModel(b.model, "", {}, "old.onnx");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == qc::StatusCode::kUnsupported);
    CHECK(Contains(r.status().message(), "ai.onnx opset " + std::to_string(opset) + " is not supported"));
    CHECK(Contains(r.status().message(), "producer 'exporter 9.9'"));
  }
}

TEST_CASE("fused and quantized ops get re-export hints") {
  qc::test::OnnxModelBuilder b(14);
  b.Opset("com.microsoft", 1);
  b.Input("x", onnx::TensorProto::FLOAT, {"batch", int64_t{4}});
  b.Init("scale", {}, {0.5f});
  b.Node("QuickGelu", {"x"}, {"g"}, "/qgelu", "com.microsoft");
  b.Node("QuantizeLinear", {"g", "scale"}, {"q"}, "/quant");
  b.Node("DequantizeLinear", {"q", "scale"}, {"y"}, "/dequant");
  b.Output("y");
  auto r = ImportOnnxModel(b.model, "");
  REQUIRE_FALSE(r.ok());
  const std::string msg = r.status().message();
  INFO(msg);
  CHECK(Contains(msg, "3 node(s)"));
  CHECK(Contains(msg, "node '/qgelu' (QuickGelu, com.microsoft opset 1): this onnxruntime fused op is not supported"));
  CHECK(Contains(msg, "re-export without onnxruntime transformer optimizations (optimum --optimize"));
  CHECK(Contains(msg, "node '/quant' (QuantizeLinear, ai.onnx opset 14): pre-quantized models are not supported"));
}

TEST_CASE("the num_heads option must agree with the graph") {
  ImportOptions options;
  options.num_heads = 4;
  CHECK(qc::test::ImportFixture("onnx/bert_opset14_sdpa", options).ok());
  CHECK(qc::test::ImportFixture("onnx_extra/bert_ort_attention", options).ok());
  options.num_heads = 8;
  for (const char* dir : {"onnx/bert_opset14_sdpa", "onnx_extra/bert_ort_attention"}) {
    auto r = qc::test::ImportFixture(dir, options);
    REQUIRE_FALSE(r.ok());
    const std::string msg = r.status().message();
    INFO(msg);
    CHECK(Contains(msg, "num_heads option"));
  }
  options.num_heads = -1;
  CHECK(qc::test::ImportFixture("onnx/bert_opset14_sdpa", options).status().code() == qc::StatusCode::kInvalidArgument);
}

TEST_CASE("malformed graphs are corrupt data, not crashes") {
  qc::test::OnnxModelBuilder b(14);
  b.Input("x", onnx::TensorProto::FLOAT, {int64_t{4}});
  b.Node("Relu", {"nowhere"}, {"y"}, "/relu");
  b.Output("y");
  auto r = ImportOnnxModel(b.model, "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == qc::StatusCode::kCorruptData);
  CHECK(Contains(r.status().message(), "input 'nowhere' is not defined"));

  qc::test::OnnxModelBuilder dup(14);
  dup.Input("x", onnx::TensorProto::FLOAT, {int64_t{4}});
  dup.Node("Relu", {"x"}, {"y"}, "/a");
  dup.Node("Relu", {"x"}, {"y"}, "/b");
  dup.Output("y");
  CHECK(ImportOnnxModel(dup.model, "").status().code() == qc::StatusCode::kCorruptData);

  qc::test::OnnxModelBuilder no_out(14);
  no_out.Input("x", onnx::TensorProto::FLOAT, {int64_t{4}});
  no_out.Output("missing");
  CHECK(ImportOnnxModel(no_out.model, "").status().code() == qc::StatusCode::kCorruptData);

  qc::test::OnnxModelBuilder bad(14);
  bad.Input("x", onnx::TensorProto::FLOAT, {int64_t{4}});
  bad.Init("w", {4, 4}, {1.0f});  // 1 value for 16 elements
  bad.Node("MatMul", {"x", "w"}, {"y"}, "/mm");
  bad.Output("y");
  CHECK(ImportOnnxModel(bad.model, "").status().code() == qc::StatusCode::kCorruptData);
}

TEST_CASE("a missing file is not_found") {
  auto r = qc::onnx_import::ImportOnnx("/nonexistent/model.onnx");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == qc::StatusCode::kNotFound);
}

TEST_CASE("mutated exports fail cleanly or import, never crash") {
  // For every node of several real exports: rewire its first input to an input of another type, break its
  // attributes, drop its last input, or swap its first two inputs. Each import must return (any status); ASan/UBSan
  // builds check that nothing out of bounds happens on the way.
  for (const char* dir : {"onnx/bert_opset14_sdpa", "onnx/bert_opset18_dynamo_sdpa", "onnx/vit_opset11_eager",
                          "onnx_extra/bert_ort_mha", "onnx_extra/vit_ort"}) {
    INFO("fixture " << std::string(dir));
    const onnx::ModelProto original = LoadFixture(dir);
    const std::string other_input = original.graph().input(0).name();
    int failed = 0, imported = 0;
    for (int k = 0; k < original.graph().node_size(); ++k) {
      for (int variant = 0; variant < 4; ++variant) {
        onnx::ModelProto m = original;
        onnx::NodeProto* n = m.mutable_graph()->mutable_node(k);
        if (variant == 0 && n->input_size() > 0) n->set_input(0, other_input);
        if (variant == 1) {
          for (auto& a : *n->mutable_attribute()) {
            a.set_i(-7);
            a.set_f(-0.5f);
            for (int i = 0; i < a.ints_size(); ++i) a.set_ints(i, 9 - i);
            if (a.has_t()) a.mutable_t()->set_raw_data("xyz");
          }
        }
        if (variant == 2 && n->input_size() > 1) n->mutable_input()->RemoveLast();
        if (variant == 3 && n->input_size() > 1) n->mutable_input()->SwapElements(0, 1);
        auto r = ImportOnnxModel(m, "", {}, "mutated.onnx");
        if (r.ok()) {
          ++imported;
        } else {
          ++failed;
          CHECK_FALSE(r.status().message().empty());
        }
      }
    }
    CHECK(failed > 0);
    CHECK(imported > 0);  // e.g. mutations of nodes that fold away or do not matter
  }
}
