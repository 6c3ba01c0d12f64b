// merge_qkv end to end: the bert_tiny fixture compiled by the pipeline with and without merge_qkv gives
// byte-identical outputs from the runtime, not only at the logits but at every node output the two graphs share
// (each attention, LayerNorm, output projection, ...), for t2 / i4 / i8 weights, per-tensor / per-row scales,
// per-token / per-tensor / static activations and a clip, at 1, 2 and 3 threads. CTest runs this binary once per
// QC_ISA cap (tests/quantized/CMakeLists.txt), so every kernel family the machine has is compared.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <set>

#include "importers/hf/hf_importer.h"
#include "ir/verifier.h"
#include "passes/pipeline.h"
#include "quant_harness.h"
#include "tests/support/test_paths.h"

using namespace qc;
using namespace qc::test;

namespace {

// Static ranges for every value asked, a fixed function of the id (q, k and v share x, so share one range).
class FixedObserver final : public passes::ActivationObserver {
 public:
  Expected<std::vector<float>> ObserveAbsMax(const ir::Graph&, const std::vector<ir::ValueId>& values) override {
    std::vector<float> out;
    for (ir::ValueId v : values) out.push_back(2.0f + static_cast<float>(v % 7) / 4.0f);
    return out;
  }
};

struct Case {
  std::string name;
  int bits;
  std::optional<ir::WeightGranularity> granularity;
  ir::ActivationMode act_mode = ir::ActivationMode::kDynamicPerToken;
  std::optional<double> clip;
};

// The fixture compiled by the pipeline; every named node's output becomes a graph output "node:<name>".
ir::Graph Compile(const Case& c, bool merge) {
  auto imported = hf::ImportHfDirectory((FixturesDir() / "hf" / "bert_tiny").string());
  REQUIRE_MESSAGE(imported.ok(), imported.status().ToString());
  ir::Graph g = std::move(imported->graph);
  passes::PipelineOptions options;
  options.quant = Must(passes::DefaultQuantConfig(c.bits));
  options.quant.linear_granularity = c.granularity;
  options.quant.act_mode = c.act_mode;
  options.quant.act_clip = c.clip;
  options.verify_each = true;
  FixedObserver observer;
  options.observer = &observer;
  if (!merge) options.disabled = {"merge_qkv"};
  auto result = passes::RunPipeline(g, options);
  REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  std::set<std::string> seen;
  for (const ir::Node& n : g.nodes()) {
    if (n.erased || n.name.empty() || !seen.insert(n.name).second) continue;
    const ir::ValueId out = n.outputs[0];
    if (g.IsGraphOutput(out)) continue;
    g.mutable_value(out).name = "node:" + n.name;
    g.mutable_outputs().push_back(out);
  }
  REQUIRE(ir::Verify(g).ok());
  return g;
}

size_t Count(const ir::Graph& g, ir::OpType op) {
  size_t n = 0;
  for (const ir::Node& node : g.nodes()) n += !node.erased && node.op == op ? 1 : 0;
  return n;
}

// Two batches: the second with padding (mask 0) and token types 1, so masked keys and both segments are exercised.
std::vector<NamedTensor> Inputs() {
  const int64_t batch = 2, seq = 9;
  std::vector<int64_t> ids, mask, types;
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t s = 0; s < seq; ++s) {
      const bool pad = b == 1 && s >= 6;
      ids.push_back(pad ? 0 : (s == 0 ? 2 : (13 * s + 5 * b + 7) % 90 + 5));
      mask.push_back(pad ? 0 : 1);
      types.push_back(s >= 4 ? 1 : 0);
    }
  }
  return {{"input_ids", HostTensor::Int64({batch, seq}, ids)},
          {"attention_mask", HostTensor::Int64({batch, seq}, mask)},
          {"token_type_ids", HostTensor::Int64({batch, seq}, types)}};
}

std::map<std::string, const HostTensor*> ByName(const std::vector<NamedTensor>& outputs) {
  std::map<std::string, const HostTensor*> m;
  for (const NamedTensor& t : outputs) m[t.name] = &t.tensor;
  return m;
}

}  // namespace

TEST_CASE("bert_tiny with and without merge_qkv: byte-identical at every shared node output, 1-3 threads") {
  using G = ir::WeightGranularity;
  using A = ir::ActivationMode;
  const std::vector<Case> cases = {
      {"t2 per-tensor", 2, std::nullopt, A::kDynamicPerToken, std::nullopt},
      {"t2 per-row, clip", 2, G::kPerRow, A::kDynamicPerToken, 2.5},
      {"t2 static", 2, std::nullopt, A::kStatic, std::nullopt},
      {"i4 per-row, clip", 4, std::nullopt, A::kDynamicPerToken, 3.0},
      {"i8 per-tensor activations", 8, std::nullopt, A::kDynamicPerTensor, std::nullopt},
      {"i8 per-tensor weights", 8, G::kPerTensor, A::kDynamicPerToken, std::nullopt},
  };
  const std::vector<NamedTensor> inputs = Inputs();
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const ir::Graph merged = Compile(c, true), plain = Compile(c, false);
    CHECK(Count(merged, ir::OpType::kQAttentionQkv) == 2);
    CHECK(Count(merged, ir::OpType::kQAttention) == 0);
    CHECK(Count(plain, ir::OpType::kQAttention) == 2);
    CHECK(Count(plain, ir::OpType::kQLinear) == Count(merged, ir::OpType::kQLinear) + 4);
    std::set<std::string> attention_outputs;
    for (const ir::Node& n : merged.nodes()) {
      if (!n.erased && n.op == ir::OpType::kQAttentionQkv) attention_outputs.insert("node:" + n.name);
    }
    REQUIRE(attention_outputs.size() == 2);
    for (int threads : {1, 2, 3}) {
      CAPTURE(threads);
      auto a = RunIrGraph(merged, inputs, threads);
      auto b = RunIrGraph(plain, inputs, threads);
      REQUIRE_MESSAGE(a.ok(), a.status().ToString());
      REQUIRE_MESSAGE(b.ok(), b.status().ToString());
      const auto ma = ByName(*a), mb = ByName(*b);
      size_t compared = 0, attentions = 0;
      for (const auto& [name, ta] : ma) {
        const auto it = mb.find(name);
        if (it == mb.end()) continue;  // the q/k/v projections (plain) and the merged one (merged)
        CAPTURE(name);
        const HostTensor& tb = *it->second;
        REQUIRE(ta->shape == tb.shape);
        REQUIRE(ta->floats.size() == tb.floats.size());
        CHECK(std::memcmp(ta->floats.data(), tb.floats.data(), ta->floats.size() * sizeof(float)) == 0);
        ++compared;
        attentions += attention_outputs.count(name);
      }
      CHECK(ma.count("logits") == 1);
      CHECK(compared + 2 == ma.size());  // all but the merged projection of each of the 2 layers
      CHECK(compared + 6 == mb.size());  // all but the q, k and v projections of each layer
      CHECK(attentions == 2);
    }
  }
}
