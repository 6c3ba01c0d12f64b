// qat/classifier_head.h: gives a bare encoder graph a sequence-classification head, so float fine-tuning
// (qat/trainer.h, DistillMode::kNone) can turn a pretrained checkpoint into a task teacher. Torch-free.
//
//   The head is Hugging Face BertForSequenceClassification's: logits = classifier(tanh(pooler(hidden[:, 0]))). An
//   existing "pooler_output" graph output (the HF importer's BertModel pooler, pretrained) is reused; otherwise a
//   pooler Linear is added. New weights are N(0, init_std) from a seeded std::mt19937 (Box-Muller, portable), biases
//   0. The graph's outputs become just "logits"; the encoder's own outputs stay computed only as far as the head
//   reads them. A graph that already has a "logits" output is an error (nothing to add).
//
//   QC_ASSIGN_OR_RETURN(auto r, qc::hf::ImportHfDirectory(dir, {qc::hf::HfOutput::kLastHiddenState}));
//   QC_RETURN_IF_ERROR(qc::qat::AddClassifierHead(r.graph, {/*num_labels=*/2}));
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"
#include "qcompress/status.h"

namespace qc::qat {

struct ClassifierHeadOptions {
  int64_t num_labels = 2;
  double init_std = 0.02;  ///< BERT's initializer_range
  uint32_t seed = 42;
  std::string hidden_output = "last_hidden_state";
  std::string pooler_output = "pooler_output";
};

Status AddClassifierHead(ir::Graph& graph, const ClassifierHeadOptions& options);

}  // namespace qc::qat
