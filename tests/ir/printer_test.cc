#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/rewriter.h"
#include "ir/text_format.h"
#include "test_graphs.h"
#include "tests/support/test_paths.h"

using namespace qc::ir;
using qc::ir::test::AddWeight;
using qc::ir::test::Must;

namespace {

// Compares with tests/ir/golden/<name>; on a mismatch writes <name>.actual in the working directory so the change
// can be reviewed with diff and, if intended, copied over the golden.
void CheckGolden(const std::string& text, const std::string& name) {
  const auto path = qc::test::SourceDir() / "tests" / "ir" / "golden" / name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << path.string());
  std::stringstream golden;
  golden << in.rdbuf();
  if (golden.str() != text) {
    std::ofstream(name + ".actual", std::ios::binary) << text;
    FAIL("printed graph differs from " << path.string() << "; wrote " << name << ".actual");
  }
  CHECK(golden.str() == text);
}

}  // namespace

TEST_CASE("tiny BERT prints as the golden text") {
  CheckGolden(PrintGraph(test::TinyBert()), "tiny_bert.txt");
}

TEST_CASE("tiny ViT prints as the golden text") {
  CheckGolden(PrintGraph(test::TinyVit()), "tiny_vit.txt");
}

TEST_CASE("printing is deterministic and sees weight changes") {
  const std::string first = PrintGraph(test::TinyBert());
  CHECK(PrintGraph(test::TinyBert()) == first);
  Graph g = test::TinyBert();
  Rewriter rw(g);
  const ValueId w = Must(g.FindValue("classifier.bias"));
  REQUIRE(rw.SetConstant(w, Must(Tensor::FromVector<float>({2}, {0.0f, 0.0f}))).ok());
  const std::string changed = PrintGraph(g);
  CHECK(changed != first);
  // Only the hash on the classifier.bias line differs.
  CHECK(changed.substr(0, changed.find("@classifier.bias")) == first.substr(0, first.find("@classifier.bias")));
}

TEST_CASE("node lines: names, absent inputs, attributes, quant, source names") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("365", DType::kF32, {"batch", 4}));  // numeric ONNX name: quoted
  const ValueId w = AddWeight(b, "onnx::MatMul_1", {2, 4}, 1);
  const ValueId y = Must(b.AddOp(OpType::kLinear, "", {x, w, kNoValue}));
  const ValueId z = Must(b.AddOp(OpType::kGelu, "/act", {y}, {{AttrName::kApproximate, int64_t{1}}}, "act out"));
  REQUIRE(b.MarkOutput(z, "act out").ok());
  b.SetMetadata("flag", 1.0);
  b.SetMetadata("labels", std::vector<std::string>{"neg", "pos"});
  b.SetMetadata("ids", std::vector<int64_t>(20, 7));
  Graph g = Must(std::move(b).Build());
  Rewriter rw(g);
  QuantAnnotation q;
  q.weight = WeightQuant{WeightBits::kTernary, WeightGranularity::kPerRow, 0};
  q.activation = ActivationQuant{ActivationBits::kInt8, ActivationMode::kDynamicPerToken, std::nullopt};
  REQUIRE(rw.SetQuant(0, q).ok());

  CHECK(PrintValueRef(g, x) == "%\"365\"");
  CHECK(PrintValueRef(g, w) == "@onnx::MatMul_1");
  CHECK(PrintValueRef(g, y) == "%2");
  CHECK(PrintValueRef(g, kNoValue) == "_");
  CHECK(PrintValueRef(g, 99) == "%99(out-of-range)");
  // The builder drops trailing absent inputs (the kNoValue bias); an absent input elsewhere prints as _.
  CHECK(PrintNode(g, 0) ==
        "%2: f32[batch, 2] = Linear(%\"365\", @onnx::MatMul_1) {} "
        "quant{w=t2/per_row a=i8/dynamic_per_token}");
  g.mutable_node(0).inputs.push_back(kNoValue);
  CHECK(PrintNode(g, 0).find("Linear(%\"365\", @onnx::MatMul_1, _) {}") != std::string::npos);
  g.mutable_node(0).inputs.pop_back();
  CHECK(PrintNode(g, 1) == "%\"act out\": f32[batch, 2] = Gelu(%2) {approximate = tanh}  # /act");

  const std::string text = PrintGraph(g);
  CHECK(text.find("graph inputs: %\"365\": f32[batch, 4]\n") == 0);
  CHECK(text.find("\noutputs: %\"act out\"\nmetadata:\n  flag = 1.0\n") != std::string::npos);
  CHECK(text.find("\n  ids = <20 ints, hash 0x") != std::string::npos);
  CHECK(text.find("\n  labels = [\"neg\", \"pos\"]\n") != std::string::npos);
}

TEST_CASE("broken graphs still print") {
  GraphBuilder b;
  const ValueId x = Must(b.AddInput("x", DType::kF32, {4}));
  const ValueId a = Must(b.AddOp(OpType::kRelu, "a", {x}));
  const ValueId c = Must(b.AddOp(OpType::kTanh, "c", {a}));
  REQUIRE(b.MarkOutput(c, "out").ok());
  Graph g = Must(std::move(b).Build());
  g.mutable_node(0).inputs[0] = c;
  g.mutable_node(1).inputs.push_back(1234);
  CHECK(PrintGraph(g) ==
        "# nodes in id order: graph has a cycle: node 'a' (Relu) -> node 'c' (Tanh) -> node 'a' (Relu)\n"
        "graph inputs: %x: f32[4]\n"
        "%1: f32[4] = Relu(%out) {}  # a\n"
        "%out: f32[4] = Tanh(%1, %1234(out-of-range)) {}  # c\n"
        "outputs: %out\n");
}

TEST_CASE("text format helpers") {
  CHECK(FormatFloat(1.0) == "1.0");
  CHECK(FormatFloat(1e-12) == "1e-12");
  CHECK(FormatFloat(0.1) == "0.1");
  CHECK(FormatFloat(-3.4028234663852886e38) == "-3.4028234663852886e+38");
  CHECK(FormatName("/bert/embeddings/Gather") == "/bert/embeddings/Gather");
  CHECK(FormatName("bert.embeddings.word_embeddings.weight") == "bert.embeddings.word_embeddings.weight");
  CHECK(FormatName("onnx::Add_12") == "onnx::Add_12");
  CHECK(FormatName("12") == "\"12\"");
  CHECK(FormatName("") == "\"\"");
  CHECK(FormatName("a\"b\n") == "\"a\\\"b\\x0a\"");
}
