// tests/qat/synthetic_encoder.h: small BERT- or ViT-style encoder graphs built with the IR builder, random weights.
//
// Overview
//   BuildSyntheticEncoder() makes a verified graph with the op layout of the importers (docs/ir.md): BERT-style
//   (post-LN; inputs input_ids and attention_mask i64 [batch, sequence]; word + position embeddings -> LayerNorm ->
//   layers -> SelectToken -> pooler Linear -> Tanh -> classifier) or pre-LN (same front end, ViT-style layers and a
//   final LayerNorm). Weights are N(0, 0.1) (LayerNorm gamma 1 + N(0, 0.1)) from a seeded std::mt19937, so graphs are
//   identical across runs. Constant names follow Hugging Face BERT ("encoder.layer.0.attention.self.query.weight").
//   Torch-free, so it compiles quickly.
//
// Usage
//   qc::qat::test::SyntheticEncoderSpec spec;      // defaults: 2 layers, hidden 32, 2 heads
//   spec.hidden = 128; spec.ffn = 512;
//   qc::ir::Graph graph = qc::qat::test::BuildSyntheticEncoder(spec).value();   // output "logits"
#pragma once

#include <cstdint>

#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::qat::test {

struct SyntheticEncoderSpec {
  int64_t vocab = 100;
  int64_t max_positions = 64;
  int64_t hidden = 32;
  int64_t heads = 2;
  int64_t ffn = 64;
  int64_t layers = 2;
  int64_t labels = 3;
  bool pre_ln = false;  ///< ViT-style layers (LayerNorm before attention and FFN, final LayerNorm)
  uint32_t seed = 7;
};

/// Builds and verifies the graph described above.
Expected<ir::Graph> BuildSyntheticEncoder(const SyntheticEncoderSpec& spec);

}  // namespace qc::qat::test
