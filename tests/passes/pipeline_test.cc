// The pipeline: disabling passes by name, the verifier after each pass naming the pass, the dump option, calibration
// through an ActivationObserver, and determinism.
#include <doctest/doctest.h>

#include <sstream>

#include "ir/printer.h"
#include "ir/rewriter.h"
#include "pass_test_util.h"
#include "passes/calibrate.h"
#include "passes/pipeline.h"

using namespace qc;
using namespace qc::passes;
using namespace qc::passes::test;

namespace {

// Breaks an invariant on purpose: points the first Add's input at a value id that does not exist.
class BreakGraphPass final : public Pass {
 public:
  std::string_view name() const override { return "break_graph"; }
  Expected<bool> Run(ir::Graph& graph, PassContext&) override {
    for (ir::NodeId n = 0; n < graph.num_nodes(); ++n) {
      if (graph.node(n).op == ir::OpType::kAdd) {
        graph.mutable_node(n).inputs[1] = static_cast<ir::ValueId>(graph.num_values() + 5);
        return true;
      }
    }
    return false;
  }
};

// A closed-form observer: amax = 1 + id / 100 for each value (0 for the values listed in `zeros`), and a record of
// what was asked.
class FakeObserver final : public ActivationObserver {
 public:
  Expected<std::vector<float>> ObserveAbsMax(const ir::Graph&, const std::vector<ir::ValueId>& values) override {
    asked = values;
    std::vector<float> out;
    for (ir::ValueId v : values) out.push_back(zero_all ? 0.0f : 1.0f + static_cast<float>(v) / 100.0f);
    return out;
  }
  std::vector<ir::ValueId> asked;
  bool zero_all = false;
};

PipelineOptions Options(int bits) {
  PipelineOptions o;
  o.quant = Must(DefaultQuantConfig(bits));
  o.verify_each = true;
  return o;
}

}  // namespace

TEST_CASE("the pipeline order is fixed and every name can be disabled; unknown names are an error") {
  const std::vector<std::string_view> names = PipelinePassNames();
  REQUIRE(names.size() == 7);
  CHECK(names.front() == "constant_folding");
  CHECK(names[5] == "fuse_gelu_epilogue");
  CHECK(names.back() == "merge_qkv");
  for (std::string_view n : names) CHECK(CheckPassNames({std::string(n)}).ok());

  ir::Graph g = ir::test::TinyBert();
  PipelineOptions o = Options(2);
  o.disabled = {"fuse_gelu"};
  auto r = RunPipeline(g, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("unknown pass 'fuse_gelu' (passes: constant_folding, dead_code") !=
        std::string::npos);
  CHECK(ir::PrintGraph(g) == ir::PrintGraph(ir::test::TinyBert()));

  o.disabled = {"fuse_gelu_epilogue", "constant_folding"};
  auto ok = RunPipeline(g, o);
  REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
  CHECK(ok->ran ==
        std::vector<std::string>{"dead_code", "quantize_annotate", "calibrate", "lower_quantized", "merge_qkv"});
  size_t gelus = 0;
  for (const ir::Node& n : g.nodes()) gelus += n.op == ir::OpType::kGelu ? 1 : 0;
  CHECK(gelus == 1);

  g = ir::test::TinyBert();
  o.disabled = {"merge_qkv"};
  auto unmerged = RunPipeline(g, o);
  REQUIRE_MESSAGE(unmerged.ok(), unmerged.status().ToString());
  CHECK(unmerged->ran.back() == "fuse_gelu_epilogue");
  size_t attentions = 0, fused = 0;
  for (const ir::Node& n : g.nodes()) {
    attentions += n.op == ir::OpType::kQAttention ? 1 : 0;
    fused += n.op == ir::OpType::kQAttentionQkv ? 1 : 0;
  }
  CHECK(attentions == 1);
  CHECK(fused == 0);
}

TEST_CASE("the verifier runs after each pass and its error names the pass") {
  ir::Graph g = ir::test::TinyBert();
  std::vector<std::unique_ptr<Pass>> passes;
  passes.push_back(std::make_unique<BreakGraphPass>());
  PipelineOptions o = Options(2);
  auto r = RunPasses(g, std::move(passes), o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().rfind("after pass 'break_graph': ", 0) == 0);
}

TEST_CASE("pass errors name the pass; the dump prints the graph after each changing pass") {
  ir::Graph g = ir::test::TinyBert();
  PipelineOptions o = Options(2);
  o.quant.overrides.push_back(Override(OverrideMatch::kName, "no/such/node", ir::WeightBits::kInt8));
  auto r = RunPipeline(g, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().rfind("pass 'quantize_annotate': override #0 (name 'no/such/node')", 0) == 0);

  g = ir::test::TinyBert();
  std::ostringstream dump;
  o = Options(2);
  o.dump = &dump;
  auto ok = RunPipeline(g, o);
  REQUIRE(ok.ok());
  CHECK(ok->changed ==
        std::vector<std::string>{"quantize_annotate", "lower_quantized", "fuse_gelu_epilogue", "merge_qkv"});
  CHECK(dump.str().find("# after quantize_annotate\n") != std::string::npos);
  CHECK(dump.str().find("# after fuse_gelu_epilogue\n") != std::string::npos);
  CHECK(dump.str().find("# after merge_qkv\n") != std::string::npos);
  CHECK(dump.str().find("# after dead_code\n") == std::string::npos);  // it changed nothing
}

TEST_CASE("the pipeline is deterministic and its result runs") {
  ir::Graph a = ir::test::TinyBert(), b = ir::test::TinyBert();
  REQUIRE(RunPipeline(a, Options(2)).ok());
  REQUIRE(RunPipeline(b, Options(2)).ok());
  CHECK(ir::PrintGraph(a) == ir::PrintGraph(b));
  CheckGolden(ir::PrintGraph(a), "pipeline_t2.txt");
  const auto out = RunGraph(a, TinyBertInputs(7));
  REQUIRE(out.size() == 1);
  CHECK(out[0].tensor.shape == std::vector<int64_t>{2, 2});
}

TEST_CASE("static activation scales come from the observer; without one the pass names the node") {
  ir::Graph g = ir::test::TinyBert();
  PipelineOptions o = Options(2);
  o.quant.act_mode = ir::ActivationMode::kStatic;
  auto missing = RunPipeline(g, o);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == StatusCode::kFailedPrecondition);
  CHECK(missing.status().message().find("pass 'calibrate': node '") != std::string::npos);
  CHECK(missing.status().message().find("--calib") != std::string::npos);

  g = ir::test::TinyBert();
  FakeObserver observer;
  o.observer = &observer;
  auto r = RunPipeline(g, o);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  // One range per distinct quantized input: q/k/v share the embedding LayerNorm output.
  CHECK(observer.asked.size() == 5);
  size_t statics = 0;
  for (const ir::Node& n : g.nodes()) {
    if (n.op != ir::OpType::kQLinear) continue;
    CHECK(Must(n.attributes.GetInt(ir::AttrName::kActGranularity, "")) == 3);
    const double amax = Must(n.attributes.GetFloat(ir::AttrName::kActAmax, ""));
    CHECK(amax > 1.0);
    CHECK(amax < 2.0);
    ++statics;
  }
  CHECK(statics == 5);  // q, k and v (one calibrated range) merged into one QLinear
  RunGraph(g, TinyBertInputs(4));

  g = ir::test::TinyBert();
  observer.zero_all = true;
  auto zero = RunPipeline(g, o);
  REQUIRE(zero.ok());
  CHECK(zero->context.warnings.size() == 7);
  for (const ir::Node& n : g.nodes()) {
    if (n.op == ir::OpType::kQLinear) CHECK(Must(n.attributes.GetInt(ir::AttrName::kActGranularity, "")) == 1);
  }
}
