// QAttention end to end against a plain scalar simulation of docs/quantization.md §7.4 written from the formulas
// (per (token, head) int8 Q, K, V; exact integer Q·Kᵀ; float softmax in j order; P ⊙ dv re-quantized per row; exact
// integer P·V). Every step is a defined sequence of float32 operations, so the comparison is bit for bit.
// QAttentionQkv (q, k, v as column ranges of one [B, S, 3H] input) against the same simulation, at 1-3 threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "quant_harness.h"
#include "quant_sim.h"

namespace qc::test {
namespace {

struct Config {
  size_t batch, seq, hidden, heads;
  float clip;
  bool mask;
};

// Every token attended to except the second and the last (when seq > 2).
std::vector<int64_t> Mask(const Config& c) {
  std::vector<int64_t> mask(c.batch * c.seq, 1);
  if (c.seq > 2) mask[c.seq - 1] = 0, mask[1] = 0;
  return mask;
}

float Scale(const Config& c) {
  return 1.0f / std::sqrt(static_cast<float>(c.hidden / c.heads));
}

ir::Attributes AttentionAttrs(const Config& c) {
  return {{ir::AttrName::kNumHeads, static_cast<int64_t>(c.heads)},
          {ir::AttrName::kScale, static_cast<double>(Scale(c))},
          {ir::AttrName::kActClip, static_cast<double>(c.clip)}};
}

}  // namespace

TEST_CASE("QAttention matches the scalar simulation bit for bit") {
  for (const Config& c : {Config{1, 1, 8, 2, 0, false}, Config{2, 5, 24, 3, 2.5f, true}, Config{1, 17, 64, 2, 0, true},
                          Config{3, 33, 48, 4, 1.0f, false}}) {
    CAPTURE(c.seq);
    CAPTURE(c.hidden);
    const auto B = static_cast<int64_t>(c.batch), S = static_cast<int64_t>(c.seq), H = static_cast<int64_t>(c.hidden);
    const size_t n = c.batch * c.seq * c.hidden;
    const std::vector<float> q = RandomFloats(n, -3, 3, 41), k = RandomFloats(n, -3, 3, 42),
                             v = RandomFloats(n, -3, 3, 43);
    const std::vector<int64_t> mask = Mask(c);
    const float scale = Scale(c);
    ir::GraphBuilder b;
    const auto qi = Must(b.AddInput("q", ir::DType::kF32, {"batch", "sequence", H}));
    const auto ki = Must(b.AddInput("k", ir::DType::kF32, {"batch", "sequence", H}));
    const auto vi = Must(b.AddInput("v", ir::DType::kF32, {"batch", "sequence", H}));
    std::vector<ir::ValueId> inputs = {qi, ki, vi};
    if (c.mask) inputs.push_back(Must(b.AddInput("mask", ir::DType::kI64, {"batch", "sequence"})));
    const auto y = Must(b.AddOp(ir::OpType::kQAttention, "attn", inputs, AttentionAttrs(c)));
    REQUIRE(b.MarkOutput(y, "y").ok());
    const ir::Graph graph = Must(std::move(b).Build());
    std::vector<NamedTensor> feeds = {{"q", HostTensor::Float32({B, S, H}, q)},
                                      {"k", HostTensor::Float32({B, S, H}, k)},
                                      {"v", HostTensor::Float32({B, S, H}, v)}};
    if (c.mask) feeds.push_back({"mask", HostTensor::Int64({B, S}, mask)});
    const auto out = Must(RunIrGraph(graph, feeds));
    const std::vector<float> mask_f(mask.begin(), mask.end());
    const std::vector<float> want =
        SimQAttention(q, k, v, c.mask ? &mask_f : nullptr, c.batch, c.seq, c.hidden, c.heads, scale, -10000.0f, c.clip);
    int mismatches = 0;
    for (size_t i = 0; i < n; ++i) mismatches += out[0].tensor.floats[i] != want[i];
    CHECK(mismatches == 0);
  }
}

TEST_CASE("QAttentionQkv equals the simulation on the q, k and v column ranges of qkv, at 1-3 threads") {
  for (const Config& c : {Config{1, 1, 8, 2, 0, false}, Config{2, 5, 24, 3, 2.5f, true}, Config{3, 33, 64, 4, 0, true}}) {
    CAPTURE(c.seq);
    CAPTURE(c.hidden);
    const auto B = static_cast<int64_t>(c.batch), S = static_cast<int64_t>(c.seq), H = static_cast<int64_t>(c.hidden);
    const size_t rows = c.batch * c.seq, n = rows * c.hidden;
    const std::vector<float> qkv = RandomFloats(3 * n, -3, 3, 44);
    std::vector<float> q, k, v;
    for (size_t r = 0; r < rows; ++r) {
      const float* row = qkv.data() + r * 3 * c.hidden;
      q.insert(q.end(), row, row + c.hidden);
      k.insert(k.end(), row + c.hidden, row + 2 * c.hidden);
      v.insert(v.end(), row + 2 * c.hidden, row + 3 * c.hidden);
    }
    const std::vector<int64_t> mask = Mask(c);
    const float scale = Scale(c);
    ir::GraphBuilder b;
    std::vector<ir::ValueId> inputs = {Must(b.AddInput("qkv", ir::DType::kF32, {"batch", "sequence", 3 * H}))};
    if (c.mask) inputs.push_back(Must(b.AddInput("mask", ir::DType::kI64, {"batch", "sequence"})));
    const auto y = Must(b.AddOp(ir::OpType::kQAttentionQkv, "attn", inputs, AttentionAttrs(c)));
    REQUIRE(b.MarkOutput(y, "y").ok());
    const ir::Graph graph = Must(std::move(b).Build());
    std::vector<NamedTensor> feeds = {{"qkv", HostTensor::Float32({B, S, 3 * H}, qkv)}};
    if (c.mask) feeds.push_back({"mask", HostTensor::Int64({B, S}, mask)});
    const std::vector<float> mask_f(mask.begin(), mask.end());
    const std::vector<float> want =
        SimQAttention(q, k, v, c.mask ? &mask_f : nullptr, c.batch, c.seq, c.hidden, c.heads, scale, -10000.0f, c.clip);
    for (int threads : {1, 2, 3}) {
      CAPTURE(threads);
      const auto out = Must(RunIrGraph(graph, feeds, threads));
      REQUIRE(out[0].tensor.shape == std::vector<int64_t>{B, S, H});
      int mismatches = 0;
      for (size_t i = 0; i < n; ++i) mismatches += out[0].tensor.floats[i] != want[i];
      CHECK(mismatches == 0);
    }
  }
}

}  // namespace qc::test
